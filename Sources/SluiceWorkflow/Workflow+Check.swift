/// Checks that a workflow's stages fit together before anything runs.
extension Workflow {
    func checkStructure(root: YAMLField, stageFields: [YAMLField]) throws(WorkflowError) {
        func fail(_ index: Int?, _ message: String) -> WorkflowError {
            guard let index else { return root.error(message) }
            let field = stageFields[index]
            return WorkflowError(file: field.file, line: field.line, path: field.path, message: message)
        }
        let declared = Set(topics.map(\.name))
        for (key, topic) in [("input", input), ("output", output), ("dead_letter", deadLetter)]
        where !declared.contains(topic) {
            throw fail(nil, "\(key) topic '\(topic)' is not declared under 'topics'")
        }
        guard !stages.isEmpty else { throw fail(nil, "a workflow needs at least one stage") }
        var seenNames: Set<String> = []
        // Topics that hold events at each point, and whether those events carry an embedding.
        var available: [String: Bool] = [input: false]
        for (index, stage) in stages.enumerated() {
            guard seenNames.insert(stage.name).inserted else {
                throw fail(index, "stage name '\(stage.name)' is used twice; stage names must be unique")
            }
            for topic in [stage.input, stage.output] where !declared.contains(topic) {
                throw fail(index, "topic '\(topic)' is not declared under 'topics'")
            }
            if stage.input == stage.output {
                throw fail(index, "stage '\(stage.name)' reads its own output topic '\(stage.output)'")
            }
            if stage.output == input || stage.output == deadLetter {
                throw fail(
                    index,
                    "stage '\(stage.name)' must not write to the \(stage.output == input ? "input" : "dead-letter") topic"
                )
            }
            guard let hasEmbedding = available[stage.input] else {
                throw fail(
                    index,
                    "stage '\(stage.name)' reads '\(stage.input)', which neither the workflow input nor an earlier stage produces"
                )
            }
            if stage.task.needsEmbedding && !hasEmbedding {
                throw fail(
                    index,
                    "task '\(stage.task.rawValue)' needs an embedding: put an 'embed' stage before '\(stage.name)'")
            }
            if stage.task == .classify && stage.labels.isEmpty && stage.head == nil {
                throw fail(index, "task 'classify' needs 'labels' (zero-shot descriptions) or a trained 'head'")
            }
            if stage.task == .classify && stage.labels.count == 1 {
                throw fail(index, "zero-shot 'labels' need at least two labels to choose between")
            }
            if let empty = stage.labels.first(where: { $0.descriptions.isEmpty && $0.examples.isEmpty }) {
                throw fail(index, "label '\(empty.name)' needs 'descriptions' or 'examples'")
            }
            if stage.otherBelow != nil && stage.labels.contains(where: { $0.name == "other" }) {
                throw fail(
                    index, "a label named 'other' clashes with 'other_below' (its outcome is 'other'): rename it")
            }
            if let autoscale = stage.autoscale,
                let partitions = topics.first(where: { $0.name == stage.input })?.partitions,
                let over = [autoscale.min, autoscale.max ?? 0].first(where: { $0 > partitions })
            {
                // A group gives each partition to one member: a worker past the count would hold none.
                throw fail(
                    index,
                    "stage '\(stage.name)': autoscale bound \(over) is above the \(partitions) partitions of '\(stage.input)', "
                        + "where the extra workers would sit idle; lower it or give the topic more partitions")
            }
            available[stage.output] = hasEmbedding || stage.task == .embed
        }
        guard stages.last?.output == output else {
            throw fail(stages.count - 1, "the last stage must produce to the workflow output '\(output)'")
        }
    }
}
