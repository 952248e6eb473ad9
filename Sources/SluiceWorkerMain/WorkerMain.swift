import ArgumentParser
import Foundation
import SluicePipeline

/// The `main` of a stage package's worker executable: what `sluice worker` does,
/// for the tasks of `catalog`.
///
///     var catalog = StageCatalog.builtIn
///     try catalog.register(StageTask("keywords")) { _ in KeywordStage() }
///     WorkerMain.run(catalog)
public enum WorkerMain {
    /// Parses `arguments` (default: the process's own, less its name) as
    /// `WorkerArguments`, runs the worker until SIGINT / SIGTERM and exits 0.
    /// `--help` prints the options; a bad option or a failure at start prints
    /// the error and exits non-zero, like `sluice worker`.
    public static func run(_ catalog: StageCatalog, arguments: [String]? = nil) -> Never {
        do {
            let command = try Command.parseAsRoot(arguments ?? Array(CommandLine.arguments.dropFirst()))
            guard let worker = command as? Command else {
                // --help and --version come back as other commands: let them print and exit.
                var other = command
                try other.run()
                Command.exit()
            }
            try worker.options.run(catalog: catalog)
            Command.exit()
        } catch {
            Command.exit(withError: error)
        }
    }

    /// Only to give ArgumentParser a command for help and errors; `run` above runs it.
    struct Command: ParsableCommand {
        // Help and errors name the executable as it was started, not this type.
        static var configuration: CommandConfiguration {
            CommandConfiguration(
                commandName: CommandLine.arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent },
                abstract: "Run one worker of a workflow stage until stopped.", discussion: WorkerArguments.discussion)
        }

        @OptionGroup var options: WorkerArguments
    }
}
