import ArgumentParser
import SluiceWorkflow

struct WorkflowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflow",
        abstract: "Inspect workflow files.",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a workflow file: syntax, keys, and that its stages fit together.",
            discussion: """
                Reports the first problem with its file, line and key. Checks that every topic a \
                stage reads or writes is declared, that each stage's input is the workflow input or \
                an earlier stage's output, that classify and sentiment come after an embed stage, \
                that no stage reads its own output, and that heads match the encoder.
                """)

        @Argument(help: "The workflow file, e.g. topics/sentiment-monitoring.yaml.")
        var file: String

        func run() throws {
            let workflow = try Workflow.load(path: file)
            print("\(file): workflow '\(workflow.name)' is valid")
            for stage in workflow.stages {
                let batch =
                    stage.batchLatencyMs.map { "up to \(stage.batchSize) within \($0) ms" }
                    ?? "\(stage.batchSize) / \(stage.batchWaitMs) ms"
                print(
                    "  \(stage.name): \(stage.task.rawValue) \(stage.input) -> \(stage.output)"
                        + "  (batch \(batch), \(stage.replicas) replica(s), \(stage.delivery.rawValue))")
            }
        }
    }
}
