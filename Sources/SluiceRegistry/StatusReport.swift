import Foundation
import SluiceJSON
import SluiceKafka
import SluiceWorkflow

/// What `sluice status` and the gateway's `GET /v1/status` answer: the registry's
/// members per stage, each stage's replicas against the monitor's latest advice, and lag.
public struct StatusReport: Sendable {
    public struct StageRow: Sendable {
        public var workflow: String
        public var stage: String
        public var members: [RegistryView.Member]
        public var replicasWanted: Int?
        public var replicasNeeded: Int?
        public var lag: Int64?
        public var live: Int { members.filter { !$0.isStale }.count }
    }

    public var topic: String
    public var view: RegistryView
    public var rows: [StageRow]
    /// Monitors and gateways.
    public var services: [RegistryView.Member]

    /// Reads the registry; with a workflow, lists each of its stages (even with no
    /// member), their lag and the replicas the monitor last advised.
    public static func read(
        config: KafkaConfig, topic: String = Registry.defaultTopic, workflow: Workflow?, staleAfterSeconds: Double,
        timeoutMs: Int = 15_000
    ) throws -> StatusReport {
        let view = try RegistryView.read(
            config: config, topic: topic, staleAfterSeconds: staleAfterSeconds, timeoutMs: timeoutMs)
        var rows: [StageRow] = []
        let services: [RegistryView.Member]
        if let spec = workflow {
            let admin = try KafkaAdmin(config: config)
            let topics = Set(try admin.listTopics(timeoutMs: timeoutMs).map(\.name))
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
            services = view.members.filter { $0.entry.kind != .worker && $0.entry.workflow == spec.name }
        } else {
            let workers = view.members.filter { $0.entry.kind == .worker }
            let keys = Set(workers.map { "\($0.entry.workflow)\u{0}\($0.entry.stage ?? "")" }).sorted()
            for key in keys {
                let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
                rows.append(
                    StageRow(
                        workflow: parts[0], stage: parts[1],
                        members: workers.filter { $0.entry.workflow == parts[0] && ($0.entry.stage ?? "") == parts[1] })
                )
            }
            services = view.members.filter { $0.entry.kind != .worker }
        }
        return StatusReport(topic: topic, view: view, rows: rows, services: services)
    }

    /// `stages[].replicas_needed` from the newest publication on the workflow's metrics
    /// topic (the monitor publishes one record per window at once): per stage, the
    /// shortest window that has a figure (a quiet 10 s window has none, the 60 s one may).
    static func latestReplicasNeeded(_ spec: Workflow, config: KafkaConfig, admin: KafkaAdmin, topics: Set<String>)
        throws
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

    public func json() -> JSONValue {
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
            "monitors": .array(services.filter { $0.entry.kind == .monitor }.map(member)),
            "gateways": .array(services.filter { $0.entry.kind == .gateway }.map(member)),
        ])
    }
}
