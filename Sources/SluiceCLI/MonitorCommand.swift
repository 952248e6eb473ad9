import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SluiceHTTP
import SluiceJSON
import SluiceLifecycle
import SluiceMonitor
import SluiceMonitorService
import SluiceWorkflow

struct Monitor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Watch a running workflow: latency, hop delays, lag, replica advice, alerts.",
        discussion: """
            Joins the consumer group <workflow>.monitor on the workflow's output and dead-letter \
            topics and measures, from the hops every finished event carries: processing time per \
            event and per batch of each stage, the delay of each hop, end-to-end time, their \
            percentiles, throughput, error rate, and the replicas each stage needs \
            (ceil(arrival rate x per-event time / target utilisation)). Every few seconds it \
            also reads each stage group's lag and member count from the broker.

            It publishes to the topics the workflow's `monitor:` section names: one metrics \
            record per window every window period, alert transitions (also logged), and closed \
            sentiment-trend windows. With --metrics-port it serves GET /metrics for Prometheus \
            (on 127.0.0.1 unless --metrics-host says otherwise).

            Output: a live table refreshed every --interval seconds when stdout is a terminal, \
            otherwise (or with --json) one JSON snapshot per line. Ctrl-C stops cleanly.

            Examples:
              sluice monitor --workflow topics/sentiment-monitoring.yaml --brokers 127.0.0.1:9092
              sluice monitor --workflow topics/sentiment-monitoring.yaml --json --from-beginning | jq .
            """)

    @Option(
        name: .long, help: ArgumentHelp("The workflow file, e.g. topics/sentiment-monitoring.yaml.", valueName: "file"))
    var workflow: String

    @OptionGroup var broker: BrokerOptions

    @OptionGroup var registry: RegistryOptions

    @Option(
        name: .long,
        help: ArgumentHelp("Port for GET /metrics (Prometheus); 0 turns the endpoint off.", valueName: "port"))
    var metricsPort: Int = 9464

    @Option(name: .long, help: ArgumentHelp("Address the metrics endpoint binds to.", valueName: "host"))
    var metricsHost: String = "127.0.0.1"

    @Flag(name: .long, help: "Print one JSON snapshot per line (the default when stdout is not a terminal).")
    var json = false

    @Flag(name: .long, help: "Read the output and dead-letter topics from their start instead of from now.")
    var fromBeginning = false

    @Option(name: .long, help: ArgumentHelp("Seconds between screen refreshes / JSON lines.", valueName: "seconds"))
    var interval: Double = 1

    @Option(name: .long, help: ArgumentHelp("Seconds between lag and group-membership queries.", valueName: "seconds"))
    var probeEvery: Double = 3

    func validate() throws {
        guard (0...65535).contains(metricsPort) else { throw ValidationError("--metrics-port must be 0...65535") }
        guard interval >= 0.1 else { throw ValidationError("--interval must be at least 0.1 seconds") }
        guard probeEvery >= 0.5 else { throw ValidationError("--probe-every must be at least 0.5 seconds") }
    }

    func run() throws {
        let spec = try Workflow.load(path: workflow)
        let brokers = try broker.required()
        var logger = Logger(label: "sluice.monitor")
        logger.logLevel = .info
        let monitor = WorkflowMonitor(
            workflow: spec,
            options: MonitorOptions(
                brokers: brokers, properties: try broker.extraProperties(), fromBeginning: fromBeginning,
                probeSeconds: probeEvery, registry: registry.settings),
            logger: logger)

        var services: [any Service] = []
        let server =
            metricsPort == 0 ? nil : MetricsServer(host: metricsHost, port: metricsPort) { monitor.prometheusText() }
        if let server {
            services.append(BlockingService.started("metrics", start: { try server.start() }, stop: { server.stop() }))
        }
        services.append(BlockingService("monitor", monitor))
        // The screen (or the JSON lines) until shutdown; stopped first, so the last line is not cut.
        let live = !json && isatty(STDOUT_FILENO) == 1
        let (name, interval, host) = (spec.name, interval, metricsHost)
        let stop = Latch()
        services.append(
            BlockingService(
                "display",
                run: {
                    while !stop.wait(seconds: interval) {
                        if live {
                            print(
                                Self.screen(monitor, spec: spec, metricsHost: host, metricsPort: server?.port),
                                terminator: "")
                        } else {
                            var line = monitor.snapshot().json()
                            if case .object(var fields) = line {
                                fields["workflow"] = .string(name)
                                line = .object(fields)
                            }
                            print(line.serialized())
                        }
                        fflush(nil)
                    }
                }, stop: { stop.open() }))
        try ServiceRunner.runBlocking(services, logger: logger)
    }

    /// Clear screen, home, then the table and a status footer.
    private static func screen(_ monitor: WorkflowMonitor, spec: Workflow, metricsHost: String, metricsPort: Int?)
        -> String
    {
        let counters = monitor.counters()
        var text = "\u{1B}[H\u{1B}[2J"
        text += "sluice monitor: \(spec.name)   \(spec.output) + \(spec.deadLetter)   "
        text += monitor.isAssigned ? "reading" : "joining group \(monitor.group)..."
        text += "\n\n" + monitor.tableText() + "\n"
        let firing = monitor.firingAlerts().sorted()
        text += "alerts firing: \(firing.isEmpty ? "none" : firing.joined(separator: ", "))\n"
        text += "read \(counters.envelopes) events, \(counters.deadLetters) dead letters"
        if counters.undecodable > 0 { text += ", \(counters.undecodable) undecodable" }
        text +=
            "; published \(counters.metricsPublished) metrics, \(counters.alertsPublished) alerts, \(counters.trendsPublished) trend records"
        if let metricsPort { text += "; /metrics on \(metricsHost):\(metricsPort)" }
        text += "\n"
        if !counters.membershipUnknown.isEmpty {
            text +=
                "replicas unknown: the broker did not describe \(counters.membershipUnknown.sorted().joined(separator: ", "))\n"
        }
        text += "note: \(LagReport.embeddedBrokerNote)\n"
        text += "Ctrl-C to stop\n"
        return text
    }
}
