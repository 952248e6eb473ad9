import ArgumentParser
import Foundation
import SluiceJSON
import SluiceKafka
import SluiceRegistry
import SluiceWorkerMain
import SluiceWorkflow

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List the running workers and monitors from the registry, per stage.",
        discussion: """
            Reads the registry topic ($SLUICE_REGISTRY_TOPIC, else sluice-registry) from its start \
            to its end and keeps each member's latest record; a member that left cleanly deleted its \
            record. A member whose last heartbeat is older than --stale-after is shown as STALE: it \
            crashed, was killed, or cannot reach the broker. With --workflow, every stage of that \
            workflow is listed with its live replicas, the replicas the monitor last advised (from the \
            workflow's metrics topic; '-' when there is none) and its consumer lag.
            """)

    @Option(name: .long, help: "Only this workflow file's members, with replicas needed and lag per stage.")
    var workflow: String?

    @OptionGroup var broker: BrokerOptions

    @Flag(name: .long, help: "Print one JSON document instead of the table.")
    var json = false

    @Option(name: .customLong("stale-after"), help: "Seconds without a heartbeat after which a member is stale.")
    var staleAfter: Double = 10

    func validate() throws {
        guard staleAfter > 0 else { throw ValidationError("--stale-after must be positive") }
    }

    func run() throws {
        let config = try broker.kafkaConfig(clientID: "sluice-status")
        let spec = try workflow.map { try Workflow.load(path: $0) }
        let report = try StatusReport.read(
            config: config, topic: SluiceEnvironment.registryTopic, workflow: spec, staleAfterSeconds: staleAfter)
        if json {
            print(report.json().serialized())
        } else {
            print(table(report), terminator: "")
        }
    }

    func table(_ report: StatusReport) -> String {
        let view = report.view
        let monitors = report.services
        var out = "registry \(report.topic): \(view.live.count) live, \(view.stale.count) stale "
        out += "(stale after \(formatSeconds(view.staleAfterSeconds)) without a heartbeat)\n"
        if report.rows.isEmpty && monitors.isEmpty { return out + "no members\n" }
        for row in report.rows {
            let needed = row.replicasNeeded.map(String.init) ?? "-"
            let lag = row.lag.map(String.init) ?? "-"
            let wanted = row.replicasWanted.map { ", \($0) in the workflow file" } ?? ""
            let live = row.live == 1 ? "1 live replica" : "\(row.live) live replicas"
            out += "\n\(row.workflow)/\(row.stage): \(live)\(wanted), needed \(needed), lag \(lag)\n"
            out += memberTable(row.members)
        }
        if !monitors.isEmpty {
            out += "\nmonitors and gateways:\n" + memberTable(monitors)
        }
        return out
    }

    func memberTable(_ members: [RegistryView.Member]) -> String {
        guard !members.isEmpty else { return "  (no members)\n" }
        let header = ["MEMBER", "PARTITIONS", "HEALTH", "MODEL / HEAD", "RSS", "EVENTS", "HEARTBEAT"]
        let lines = members.map { member -> [String] in
            let e = member.entry
            let instance = e.member.split(separator: "/").last.map(String.init) ?? e.member
            // The precision's name only ("int8"); the kernel and any fallback are in the JSON output.
            let precision = e.precision?.split(separator: " ").first.map { " \($0)" } ?? ""
            let model =
                (e.model ?? "-") + precision + " / " + (e.headVersion ?? "-")
                + (e.canaryVersion.map { " +canary \($0)" } ?? "")
            return [
                instance, e.partitions.isEmpty ? "-" : e.partitions.joined(separator: ","),
                member.isStale ? "STALE" : e.health.rawValue, model,
                e.residentBytes.map { String(format: "%.0f MB", Double($0) / 1_048_576) } ?? "-",
                String(e.eventsProcessed), formatSeconds(member.heartbeatAge) + " ago",
            ]
        }
        let widths = header.indices.map { column in ([header] + lines).map { $0[column].count }.max() ?? 0 }
        func render(_ cells: [String]) -> String {
            "  "
                + cells.enumerated().map {
                    $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0)
                }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }
        return render(header) + lines.map(render).joined()
    }

    func formatSeconds(_ seconds: Double) -> String {
        seconds < 100 ? String(format: "%.1f s", seconds) : String(format: "%.0f s", seconds)
    }
}
