import Yams

extension Workflow {
    /// The text of a workflow file with the workflow and every topic renamed `<name>-<suffix>`
    /// (so every consumer group too), everything else as written: what a benchmark gives to
    /// `sluice worker` processes so each phase runs on fresh topics and groups. The same
    /// renaming as applying `suffix` to the parsed `Workflow` field by field.
    public static func renamedText(_ text: String, suffix: String, file: String = "<workflow>")
        throws(WorkflowError) -> String
    {
        func rename(_ node: Node?) -> Node? {
            node?.string.map { Node("\($0)-\(suffix)") }
        }
        do {
            guard var root = try Yams.compose(yaml: text), case .mapping(var top) = root else {
                throw WorkflowError(
                    file: file, line: 1, path: "", message: "not a workflow file (a mapping at the top)")
            }
            for key in ["workflow", "input", "output", "dead_letter"] {
                if let renamed = rename(top[key]) { top[key] = renamed }
            }
            if case .mapping(let topics)? = top["topics"] {
                top["topics"] = .mapping(
                    Node.Mapping(topics.map { pair in (rename(pair.key) ?? pair.key, pair.value) }))
            }
            if case .sequence(let stages)? = top["stages"] {
                top["stages"] = .sequence(
                    Node.Sequence(
                        stages.map { stage in
                            guard case .mapping(var fields) = stage else { return stage }
                            for key in ["input", "output"] {
                                if let renamed = rename(fields[key]) { fields[key] = renamed }
                            }
                            return .mapping(fields)
                        }))
            }
            if case .mapping(var monitor)? = top["monitor"] {
                for key in ["metrics_topic", "alerts_topic", "trends_topic"] {
                    if let renamed = rename(monitor[key]) { monitor[key] = renamed }
                }
                top["monitor"] = .mapping(monitor)
            }
            root = .mapping(top)
            return try Yams.serialize(node: root)
        } catch let error as WorkflowError {
            throw error
        } catch {
            throw WorkflowError(file: file, line: 1, path: "", message: "cannot rename its topics: \(error)")
        }
    }
}
