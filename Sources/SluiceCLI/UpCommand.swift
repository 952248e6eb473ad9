import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SluiceGateway
import SluiceHTTP
import SluiceKafka
import SluiceLifecycle
import SluiceML
import SluiceMonitorService
import SluicePipeline
import SluiceRegistry
import SluiceWorkerMain
import SluiceWorkflow

struct UpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Run a whole workflow locally: broker, topics, workers, a feed of posts and a live view.",
        discussion: """
            With no --brokers (and no SLUICE_BROKERS) it starts the embedded Tansu broker on a \
            free loopback port. It then creates the workflow's topics, starts one `sluice worker` \
            process per stage (more with --replicas STAGE=N), feeds the input topic with tweets \
            from the corpus at --rate events per second, and shows events in and out, end-to-end \
            latency and the last scored posts. The gateway serves the dashboard and the HTTP API \
            on --gateway-port (http://127.0.0.1:8080/ by default). A worker that exits is restarted \
            after a backoff (1 s doubling to 30 s); the screen shows restarts and the last error of a \
            worker that keeps crashing. Ctrl-C stops the feed, lets every worker finish \
            and commit its batch, and stops the broker. Each worker serves its own /metrics \
            (--worker-metrics-port, counting up per worker; the addresses are printed at start). \
            A failure of the in-process monitor or gateway stops everything and is printed, \
            with a non-zero exit status.

            --autoscale: the number of workers of each stage follows the monitor's replica \
            advice (ceil(input rate x per-event time / target utilisation)), within the stage's \
            `autoscale: {min, max, cooldown_s}` (default: 1 up to the input topic's partitions, \
            30 s), never above the partition count. Up after the advice held for 3 s, and only \
            while this machine has --cores-per-worker idle cores for each worker added (the \
            workers share its cores: past them, one more only slows the others); down after it \
            stayed lower for cooldown_s, by a clean stop (the worker finishes and commits its \
            batch). Each decision and its figures go to the log, the screen and the dashboard \
            (docs/scaling.md).
            """)

    @Option(name: .long, help: "The workflow file.")
    var workflow = "topics/sentiment-monitoring.yaml"

    @OptionGroup var broker: BrokerOptions

    @Option(name: .long, help: "Events per second fed to the input topic (0: no feed).")
    var rate: Double = 25

    @Option(
        name: .long, parsing: .upToNextOption,
        help: ArgumentHelp(
            "Workers of a stage, e.g. --replicas features=2 (default: the file's 'replicas').", valueName: "stage=N"))
    var replicas: [String] = []

    @Option(name: .long, help: "Stop by itself after this many seconds (default: run until Ctrl-C).")
    var duration: Double?

    @Option(name: .long, help: "The model folder (default: $SLUICE_MODEL_DIR, else .deps/model).")
    var model: String?

    @Flag(name: .long, help: "Do not run the monitor (latency, delays, lag, replica advice, alerts, trends).")
    var noMonitor = false

    @Flag(
        name: .long,
        help:
            "Start and stop workers of each stage to follow the monitor's replica advice (see the `autoscale:` section)."
    )
    var autoscale = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --autoscale: idle CPU, in cores, a worker added on this machine needs (0.5 suits model stages; 0 for "
                + "workers that mostly wait, e.g. on a remote model).", valueName: "cores"))
    var coresPerWorker: Double = 0.5

    @Option(name: .long, help: "Port for the monitor's GET /metrics (Prometheus); 0 turns it off.")
    var metricsPort: Int = 9464

    @Option(
        name: .long,
        help:
            "Port of the first worker's GET /metrics on 127.0.0.1; the next workers take the ports after it, in start order; 0 turns them off."
    )
    var workerMetricsPort: Int = 9465

    @Option(name: .long, help: "Port for the HTTP gateway and its dashboard on 127.0.0.1; 0 turns it off.")
    var gatewayPort: Int = 8080

    @Option(
        name: .long,
        help:
            "With the embedded broker: stop the feed once the broker holds this many MB (it keeps every record); 0: no limit."
    )
    var brokerMemoryLimit: Int = 2048

    func validate() throws {
        guard (0...65535).contains(gatewayPort), (0...65535).contains(metricsPort),
            (0...65535).contains(workerMetricsPort)
        else {
            throw ValidationError("--gateway-port, --metrics-port and --worker-metrics-port must be 0...65535")
        }
        guard rate >= 0 else { throw ValidationError("--rate must be 0 or more events per second") }
        guard brokerMemoryLimit >= 0 else {
            throw ValidationError("--broker-memory-limit must be 0 (no limit) or more MB")
        }
        _ = try replicaCounts(stages: nil)
        guard (0...64).contains(coresPerWorker) else {
            throw ValidationError("--cores-per-worker must be 0...64 cores (0.5 by default; 0: no idle-CPU check)")
        }
        if autoscale && noMonitor {
            throw ValidationError("--autoscale follows the monitor's replica advice: drop --no-monitor")
        }
    }

    /// `--replicas` as stage -> count; checks names against the workflow when given.
    func replicaCounts(stages: [String]?) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for item in replicas {
            let parts = item.split(separator: "=")
            guard parts.count == 2, let count = Int(parts[1]), count >= 1 else {
                throw ValidationError("--replicas '\(item)' must look like STAGE=N with N >= 1, e.g. features=2")
            }
            let stage = String(parts[0])
            if let stages, !stages.contains(stage) {
                throw ValidationError(
                    "--replicas names stage '\(stage)'; the workflow's stages are \(stages.joined(separator: ", "))")
            }
            counts[stage] = count
        }
        return counts
    }

    func run() throws {
        let workflow = try Workflow.load(path: workflow)
        try StageFactory.checkModels(of: workflow, modelDirectory: model)
        let counts = try replicaCounts(stages: workflow.stages.map(\.name))
        let properties = try broker.extraProperties()

        let (brokers, embedded) = try broker.givenOrEmbedded { print($0) }
        defer { embedded?.stop() }
        var memoryGuard = embedded.map {
            BrokerMemoryGuard(broker: $0, limitBytes: brokerMemoryLimit == 0 ? nil : brokerMemoryLimit * 1_000_000)
        }
        if let memoryGuard { print(memoryGuard.announcement) }

        for (topic, outcome) in try TopicApplier.apply(
            workflow.topics,
            admin: try KafkaAdmin(config: KafkaConfig(bootstrapServers: brokers, properties: properties)))
        {
            print("topic \(topic): \(outcome)")
            if case .failed = outcome {
                throw CLIError("could not create topic \(topic); check the broker and the topic config")
            }
        }

        let supervisor = try WorkerSupervisor(
            workflowPath: self.workflow, brokers: brokers, passThrough: broker.properties, model: model,
            firstMetricsPort: workerMetricsPort == 0 ? nil : workerMetricsPort
        ) {
            print($0)
            fflush(nil)  // restart notices must reach a log file now, not at exit
        }
        let autoscaler = autoscale ? UpAutoscaler(workflow: workflow, coresPerWorker: coresPerWorker) : nil
        if let autoscaler { print("autoscale: \(autoscaler.bounds)") }
        for stage in workflow.stages {
            let wanted = counts[stage.name] ?? stage.replicas
            let count = autoscaler?.initialCount(stage: stage.name, wanted: wanted) ?? wanted
            for _ in 0..<count { try supervisor.start(stage: stage.name) }
        }
        print("started \(supervisor.count) workers; their logs are in \(supervisor.logDirectory.path)")
        for (name, url) in supervisor.metricsAddresses { print("worker \(name): Prometheus metrics at \(url)") }

        let view = try LiveView(
            brokers: brokers, properties: properties, output: workflow.output, deadLetter: workflow.deadLetter,
            trendsTopic: workflow.monitor.trendsTopic, alertsTopic: workflow.monitor.alertsTopic)
        var services: [any Service] = [BlockingService("live view", view)]
        let monitor = noMonitor ? nil : startMonitor(workflow, brokers: brokers, properties: properties)
        defer { monitor?.server?.stop() }
        if let monitor { services.append(BlockingService("monitor", monitor.monitor)) }
        let gateway = startGateway(workflow, brokers: brokers, properties: properties, autoscaler: autoscaler)
        if let gateway { services.append(BlockingService.started("gateway", start: {}, stop: { gateway.stop() })) }
        var feeder: DemoFeeder?
        if rate > 0 {
            let texts = try TweetCorpus.load().rows.map(\.text).filter { !$0.isEmpty }
            feeder = try DemoFeeder(
                brokers: brokers, properties: properties, workflow: workflow.name, topic: workflow.input, texts: texts,
                rate: rate)
            feeder?.start()
        }

        // One group owns the signals and runs the view, the monitor and the gateway; the
        // screen loop runs here until a signal, --duration, or a service that failed.
        var logger = Logger(label: "sluice.up")
        logger.logLevel = .error
        let shutdown = ServiceRunner.alongside(services, logger: logger)
        let screen = DemoScreen(
            workflow: workflow, brokers: brokers, embedded: embedded, supervisor: supervisor,
            gateway: gateway?.port.map { "http://127.0.0.1:\($0)" }, autoscaler: autoscaler)
        let started = Date()
        while !shutdown.stop.wait(seconds: 1) {
            screen.draw(
                view: view.figures, sent: feeder?.sent ?? 0, uptime: Date().timeIntervalSince(started),
                monitorTable: monitor?.monitor.tableText())
            if let duration, Date().timeIntervalSince(started) >= duration { break }
            // A worker that died is restarted after a backoff; the rest of the workflow runs on.
            supervisor.check()
            if let autoscaler, let monitor {
                autoscaler.step(
                    snapshot: monitor.monitor.snapshot(), count: supervisor.count(of:),
                    scale: { try supervisor.scale(stage: $0, to: $1) },
                    say: {
                        print($0)
                        fflush(nil)
                    })
            }
            if memoryGuard?.crossed() == true, let resident = embedded?.residentBytes {
                feeder?.stop()
                print(
                    "the embedded broker holds \(resident / 1_000_000) MB, over --broker-memory-limit \(brokerMemoryLimit): "
                        + "feed stopped (workers drain what is there); raise the limit or run on --brokers")
            }
        }
        print("\nstopping: feed, then workers (each finishes and commits its batch), then the broker")
        feeder?.stop()
        supervisor.stopAll()
        // Then the gateway, the monitor and the view, in that order; a service's error fails the command.
        if let error = shutdown.finish() { throw error }
    }
}

extension UpCommand {
    /// The monitor runs in this process as a service of the command's group, publishing
    /// to the workflow's metrics, alerts and trends topics, and serving /metrics.
    func startMonitor(_ workflow: Workflow, brokers: String, properties: [String: String]) -> RunningMonitor {
        var logger = Logger(label: "sluice.monitor")
        logger.logLevel = .error  // alerts show on the screen; keep the log quiet under the live view
        let monitor = WorkflowMonitor(
            workflow: workflow,
            options: MonitorOptions(
                brokers: brokers, properties: properties,
                registry: RegistrySettings(topic: SluiceEnvironment.registryTopic)),
            logger: logger)
        var server: MetricsServer?
        if metricsPort != 0 {
            let http = MetricsServer(host: "127.0.0.1", port: metricsPort) { monitor.prometheusText() }
            do {
                let port = try http.start()
                server = http
                print("monitor: Prometheus metrics at http://127.0.0.1:\(port)/metrics")
            } catch {
                print("monitor: /metrics not served (\(error)); pass --metrics-port to pick another port")
            }
        }
        return RunningMonitor(monitor: monitor, server: server)
    }
}

extension UpCommand {
    /// The gateway runs in this process; a port in use is reported, not fatal: the demo runs on without it.
    func startGateway(
        _ workflow: Workflow, brokers: String, properties: [String: String], autoscaler: UpAutoscaler?
    ) -> Gateway? {
        guard gatewayPort != 0 else { return nil }
        var options = GatewayOptions(brokers: brokers, properties: properties)
        if let autoscaler { options.scaling = { autoscaler.json() } }
        options.registry = RegistrySettings(topic: SluiceEnvironment.registryTopic)
        options.port = gatewayPort
        var logger = Logger(label: "sluice.gateway")
        logger.logLevel = .error
        let gateway = Gateway(workflow: workflow, options: options, logger: logger)
        do {
            let port = try gateway.start()
            print("gateway: dashboard at http://127.0.0.1:\(port)/, API under /v1")
            return gateway
        } catch {
            print("gateway: not started (\(error)); pass --gateway-port to pick another port, 0 for none")
            gateway.stop()
            return nil
        }
    }
}

/// The in-process monitor of `sluice up` and its metrics endpoint.
struct RunningMonitor {
    let monitor: WorkflowMonitor
    let server: MetricsServer?
}
