import ArgumentParser
import Foundation
import SluiceJSON
import SluiceKafka
import SluiceRegistry
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

    struct StageRow {
        var workflow: String
        var stage: String
        var members: [RegistryView.Member]
        var replicasWanted: Int?
        var replicasNeeded: Int?
        var lag: Int64?
        var live: Int { members.filter { !$0.isStale }.count }
    }

    func run() throws {
        let config = try broker.kafkaConfig(clientID: "sluice-status")
        let topic = Registry.topic
        let view = try RegistryView.read(config: config, topic: topic, staleAfterSeconds: staleAfter)
        var rows: [StageRow] = []
        var monitors: [RegistryView.Member]
        if let path = workflow {
            let spec = try Workflow.load(path: path)
            let admin = try KafkaAdmin(config: config)
            let topics = Set(try admin.listTopics().map(\.name))
            let needed = try latestReplicasNeeded(spec, config: config, admin: admin, topics: topics)
            for stage in spec.stages {
                var lag: Int64?
                if topics.contains(stage.input) {
                    lag = (try? admin.lag(group: spec.group(of: stage), topic: stage.input, timeoutMs: 5_000))?
                        .reduce(0) { $0 + $1.lag }
                }
                rows.append(
                    StageRow(
                        workflow: spec.name, stage: stage.name,
                        members: view.members.filter {
                            $0.entry.kind == .worker && $0.entry.workflow == spec.name && $0.entry.stage == stage.name
                        },
                        replicasWanted: stage.replicas, replicasNeeded: needed[stage.name], lag: lag))
            }
            monitors = view.members.filter { $0.entry.kind == .monitor && $0.entry.workflow == spec.name }
        } else {
            let workers = view.members.filter { $0.entry.kind == .worker }
            let keys = Set(workers.map { "\($0.entry.workflow)\u{0}\($0.entry.stage ?? "")" }).sorted()
            for key in keys {
                let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
                rows.append(
                    StageRow(
                        workflow: parts[0], stage: parts[1],
                        members: workers.filter { $0.entry.workflow == parts[0] && ($0.entry.stage ?? "") == parts[1] }))
            }
            monitors = view.members.filter { $0.entry.kind == .monitor }
        }
        if json {
            print(jsonDocument(view: view, topic: topic, rows: rows, monitors: monitors).serialized())
        } else {
            print(table(view: view, topic: topic, rows: rows, monitors: monitors), terminator: "")
        }
    }

    /// `stages[].replicas_needed` from the newest publication on the workflow's metrics
    /// topic (the monitor publishes one record per window at once): per stage, the
    /// shortest window that has a figure (a quiet 10 s window has none, the 60 s one may).
    func latestReplicasNeeded(_ spec: Workflow, config: KafkaConfig, admin: KafkaAdmin, topics: Set<String>) throws
        -> [String: Int]
    {
        guard let metrics = spec.monitor.metricsTopic, topics.contains(metrics) else { return [:] }
        let partitions = try admin.listTopics().first { $0.name == metrics }?.partitions ?? []
        let records = try RegistryView.readTail(
            config: config, admin: admin, topic: metrics, partitions: partitions, last: 20, timeoutMs: 10_000)
        let snapshots = records.compactMap { try? JSONValue.parse($0.value) }.filter { $0["stages"]?.arrayValue != nil }
        guard let newest = snapshots.compactMap({ $0["at"]?.intValue }).max() else { return [:] }
        let windows = snapshots.filter { $0["at"]?.intValue == newest }
            .sorted { ($0["window_s"]?.intValue ?? Int.max) < ($1["window_s"]?.intValue ?? Int.max) }
        var result: [String: Int] = [:]
        for window in windows {
            for stage in window["stages"]?.arrayValue ?? [] {
                if let name = stage["stage"]?.stringValue, result[name] == nil,
                    let needed = stage["replicas_needed"]?.intValue
                {
                    result[name] = needed
                }
            }
        }
        return result
    }

    func table(view: RegistryView, topic: String, rows: [StageRow], monitors: [RegistryView.Member]) -> String {
        var out = "registry \(topic): \(view.live.count) live, \(view.stale.count) stale "
        out += "(stale after \(formatSeconds(view.staleAfterSeconds)) without a heartbeat)\n"
        if rows.isEmpty && monitors.isEmpty { return out + "no members\n" }
        for row in rows {
            let needed = row.replicasNeeded.map(String.init) ?? "-"
            let lag = row.lag.map(String.init) ?? "-"
            let wanted = row.replicasWanted.map { ", \($0) in the workflow file" } ?? ""
            let live = row.live == 1 ? "1 live replica" : "\(row.live) live replicas"
            out += "\n\(row.workflow)/\(row.stage): \(live)\(wanted), needed \(needed), lag \(lag)\n"
            out += memberTable(row.members)
        }
        if !monitors.isEmpty {
            out += "\nmonitors:\n" + memberTable(monitors)
        }
        return out
    }

    func memberTable(_ members: [RegistryView.Member]) -> String {
        guard !members.isEmpty else { return "  (no members)\n" }
        let header = ["MEMBER", "PARTITIONS", "HEALTH", "MODEL / HEAD", "RSS", "EVENTS", "HEARTBEAT"]
        let lines = members.map { member -> [String] in
            let e = member.entry
            let instance = e.member.split(separator: "/").last.map(String.init) ?? e.member
            let model = (e.model ?? "-") + " / " + (e.headVersion ?? "-")
            return [
                instance, e.partitions.isEmpty ? "-" : e.partitions.joined(separator: ","),
                member.isStale ? "STALE" : e.health.rawValue, model,
                e.residentBytes.map { String(format: "%.0f MB", Double($0) / 1_048_576) } ?? "-",
                String(e.eventsProcessed), formatSeconds(member.heartbeatAge) + " ago",
            ]
        }
        let widths = header.indices.map { column in ([header] + lines).map { $0[column].count }.max() ?? 0 }
        func render(_ cells: [String]) -> String {
            "  " + cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }
        return render(header) + lines.map(render).joined()
    }

    func formatSeconds(_ seconds: Double) -> String {
        seconds < 100 ? String(format: "%.1f s", seconds) : String(format: "%.0f s", seconds)
    }

    func jsonDocument(view: RegistryView, topic: String, rows: [StageRow], monitors: [RegistryView.Member]) -> JSONValue {
        func member(_ m: RegistryView.Member) -> JSONValue {
            guard case .object(var fields) = m.entry.json() else { return .null }
            fields["stale"] = .bool(m.isStale)
            fields["heartbeat_age_s"] = .double(m.heartbeatAge)
            return .object(fields)
        }
        return .object([
            "registry_topic": .string(topic),
            "at": .int(view.at),
            "stale_after_s": .double(view.staleAfterSeconds),
            "live": .int(Int64(view.live.count)),
            "stale": .int(Int64(view.stale.count)),
            "stages": .array(
                rows.map { row in
                    .object([
                        "workflow": .string(row.workflow),
                        "stage": .string(row.stage),
                        "replicas": .int(Int64(row.live)),
                        "replicas_configured": row.replicasWanted.map { .int(Int64($0)) } ?? .null,
                        "replicas_needed": row.replicasNeeded.map { .int(Int64($0)) } ?? .null,
                        "lag": row.lag.map(JSONValue.int) ?? .null,
                        "members": .array(row.members.map(member)),
                    ])
                }),
            "monitors": .array(monitors.map(member)),
        ])
    }
}
