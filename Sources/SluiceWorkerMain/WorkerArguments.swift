import ArgumentParser
import Foundation
import Logging
import SluiceML
import SluicePipeline
import SluiceWorkflow

/// The options of one stage worker, shared by `sluice worker` and by the worker
/// executable of a stage package (`WorkerMain.run`), so both take the same flags:
/// `--workflow FILE --stage NAME [--brokers HOST:PORT] [-X name=value]...
/// [--no-registry] [--heartbeat S] [--no-control] [--model DIR] [--instance NAME]`.
public struct WorkerArguments: ParsableArguments {
    public init() {}

    /// What the worker does, for the help of the command that embeds these options.
    public static let discussion = """
        The worker joins the consumer group <workflow>.<stage> and shares the partitions of \
        the stage's input topic with every other worker of that stage, on this machine or \
        others. It polls micro-batches (the stage's batch size, or its wait after the first \
        record), runs the step once per batch, produces the results to the stage's output \
        topic and records it cannot handle to the dead-letter topic, then commits the input \
        offsets whose outputs the broker acknowledged (or commits inside a transaction in \
        exactly-once mode).

        SIGINT / SIGTERM: stop polling, finish and commit the batch in hand, leave the \
        group, exit 0. A second signal exits at once.

        \(EncoderOptions.environmentHelp)
        """

    @Option(name: .long, help: "The workflow file, e.g. topics/sentiment-monitoring.yaml.")
    public var workflow: String

    @Option(name: .long, help: "The stage to run (a 'name' under 'stages').")
    public var stage: String

    @OptionGroup public var broker: BrokerOptions

    @OptionGroup public var registry: RegistryOptions

    @Flag(
        name: .customLong("no-control"),
        help: "Keep the workflow file's head: do not follow the control topic for `sluice deploy` announcements.")
    public var noControl = false

    @Option(name: .long, help: "The model folder (default: $SLUICE_MODEL_DIR, else .deps/model).")
    public var model: String?

    @Option(
        name: .long,
        help: "exactly-once stages: a stable name for this worker's slot, so a restarted worker fences its predecessor at once.")
    public var instance: String?

    /// Loads the workflow with `catalog`'s tasks, builds the stage's step and runs
    /// its worker on the calling thread until SIGINT / SIGTERM, then returns after
    /// the last batch is committed. Throws for what retrying cannot fix: a bad
    /// workflow file, an unknown stage, a step that cannot be built, a missing topic.
    public func run(catalog: StageCatalog) throws {
        let workflow = try catalog.loadWorkflow(path: workflow)
        guard let spec = workflow.stage(named: stage) else {
            let names = workflow.stages.map(\.name).joined(separator: ", ")
            throw ValidationError("no stage '\(stage)' in \(self.workflow); its stages are: \(names)")
        }
        let options = WorkerOptions(
            brokers: try broker.required(), properties: try broker.extraProperties(), instance: instance,
            registry: registry.settings, controlTopic: noControl ? nil : SluiceEnvironment.controlTopic)
        var logger = Logger(label: "sluice.worker.\(spec.name)")
        logger.logLevel = .info
        let step = try catalog.makeStage(
            for: spec, in: workflow, modelDirectory: model, encoderOptions: .fromEnvironment())
        let worker = StageWorker(workflow: workflow, stage: spec, step: step, options: options, logger: logger)
        let signals = ShutdownSignal { _ in worker.stop() }
        defer { withExtendedLifetime(signals) {} }
        try worker.run()
        let counts = worker.counters.snapshot
        logger.info("stopped after \(counts.processed) records in \(counts.batches) batches (\(counts.deadLettered) dead letters)")
    }
}
