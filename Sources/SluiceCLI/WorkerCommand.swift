import ArgumentParser
import SluicePipeline
import SluiceWorkerMain

/// `sluice worker`: the built-in tasks. A stage package's own executable runs the
/// same options with its catalog (`WorkerMain.run`).
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run one worker of a workflow stage until stopped.",
        discussion: WorkerArguments.discussion)

    @OptionGroup var options: WorkerArguments

    func run() throws {
        try options.run(catalog: .builtIn)
    }
}
