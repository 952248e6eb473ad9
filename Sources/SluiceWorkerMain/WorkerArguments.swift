import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SluiceLifecycle
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
        exactly-once mode). While one batch waits for its acknowledgements the next is polled \
        and run (--batches-in-flight); commits stay in offset order.

        SIGINT / SIGTERM: stop polling, finish and commit the batch in hand, leave the \
        group, exit 0. An error that stops the worker (or its metrics endpoint) is printed \
        and the exit status is non-zero.

        Metrics: the worker serves GET /metrics (Prometheus text) on --metrics-host \
        (127.0.0.1) and --metrics-port. By default (0) it takes a free port and logs the \
        address ("serving Prometheus metrics at http://127.0.0.1:PORT/metrics"), so any \
        number of workers can share a machine; give a fixed port for a scrape config, or \
        --no-metrics for none. The names are in docs/metrics.md.

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
        help: ArgumentHelp(
            "embed stages: the encoder's precision, fp32, bf16, int8 or auto (the fastest within the accuracy "
                + "budget on this CPU); overrides the stage's 'precision' (default: the stage's, else fp32).",
            valueName: "precision"))
    public var precision: String?

    @Option(
        name: .long,
        help:
            "exactly-once stages: a stable name for this worker's slot, so a restarted worker fences its predecessor at once."
    )
    public var instance: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "at-least-once stages: batches whose outputs may still wait for the broker's acknowledgements while "
                + "the next is polled and run; 1 runs strictly one batch at a time. Exactly-once stages run one.",
            valueName: "n"))
    public var batchesInFlight: Int = 2

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Port for GET /metrics (Prometheus); 0, the default, takes a free port and logs it.", valueName: "port"))
    public var metricsPort: Int = 0

    @Option(name: .long, help: ArgumentHelp("Address the metrics endpoint binds to.", valueName: "host"))
    public var metricsHost: String = "127.0.0.1"

    @Flag(name: .customLong("no-metrics"), help: "Do not serve /metrics.")
    public var noMetrics = false

    public func validate() throws {
        guard (0...65535).contains(metricsPort) else { throw ValidationError("--metrics-port must be 0...65535") }
        guard (1...64).contains(batchesInFlight) else {
            throw ValidationError(
                "--batches-in-flight must be 1...64 (2, the default, overlaps one batch's acknowledgements with the next)"
            )
        }
        if let precision {
            do { _ = try Precision.parse(precision) } catch { throw ValidationError("--precision: \(error)") }
        }
    }

    /// Loads the workflow with `catalog`'s tasks, builds the stage's step and runs
    /// its worker (and its /metrics) in one ServiceGroup until SIGINT / SIGTERM, then returns after
    /// the last batch is committed. Throws for what retrying cannot fix: a bad
    /// workflow file, an unknown stage, a step that cannot be built, a missing topic.
    public func run(catalog: StageCatalog) throws {
        let workflow = try catalog.loadWorkflow(path: workflow)
        guard var spec = workflow.stage(named: stage) else {
            let names = workflow.stages.map(\.name).joined(separator: ", ")
            throw ValidationError("no stage '\(stage)' in \(self.workflow); its stages are: \(names)")
        }
        if let precision {
            guard spec.task == .embed else {
                throw ValidationError("--precision applies to embed stages; stage '\(stage)' runs \(spec.task)")
            }
            spec.precision = precision.lowercased()
        }
        let options = WorkerOptions(
            brokers: try broker.required(), properties: try broker.extraProperties(), instance: instance,
            registry: registry.settings, controlTopic: noControl ? nil : SluiceEnvironment.controlTopic,
            batchesInFlight: batchesInFlight)
        var logger = Logger(label: "sluice.worker.\(spec.name)")
        logger.logLevel = .info
        let step = try catalog.makeStage(
            for: spec, in: workflow, modelDirectory: model, encoderOptions: .fromEnvironment())
        var services: [any Service] = []
        if !noMetrics {
            _ = MetricsExport.registry  // bootstrap before the worker makes its metric handles
            services.append(MetricsExport.service(host: metricsHost, port: metricsPort, logger: logger))
        }
        if let precision = step.precision { logger.info("encoder precision: \(precision)") }
        let worker = StageWorker(workflow: workflow, stage: spec, step: step, options: options, logger: logger)
        if !noMetrics {
            let probe = StageLoadProbe(
                workflow: workflow, stage: spec, brokers: options.brokers, properties: options.properties,
                counters: worker.counters, logger: logger)
            services.append(BlockingService("stage load probe", probe))
        }
        // Last in, first out: on SIGINT / SIGTERM the worker commits its batch and leaves, then /metrics closes.
        services.append(BlockingService("worker", worker))
        try ServiceRunner.runBlocking(services, logger: logger)
        let counts = worker.counters.snapshot
        logger.info(
            "stopped after \(counts.processed) records in \(counts.batches) batches (\(counts.deadLettered) dead letters)"
        )
    }
}
