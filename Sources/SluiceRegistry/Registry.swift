import Foundation
import SluiceKafka

/// The registry: one compacted topic where every running worker and monitor keeps
/// a record about itself under its member id (`<workflow>/<stage>/<host:pid>`),
/// refreshed by a heartbeat and deleted by a tombstone on clean exit.
/// Compaction keeps only the latest record per key on Apache Kafka; readers fold by
/// key anyway (`RegistryView`), so a broker that never compacts (Tansu's memory
/// engine) gives the same answers, only with more to read.
public enum Registry {
    /// The topic unless the caller names another (`sluice` takes `$SLUICE_REGISTRY_TOPIC`).
    public static let defaultTopic = "sluice-registry"
    /// The value of every live record carries this, so readers can refuse what they do not understand.
    public static let format = "sluice-registry/1"

    /// Creates the topic with `cleanup.policy=compact` unless it exists (one
    /// partition: a few hundred members at most, and one partition keeps them in order).
    public static func ensureTopic(_ topic: String, admin: KafkaAdmin, timeoutMs: Int = 10_000) throws(KafkaError) {
        try admin.ensureTopic(
            KafkaNewTopic(name: topic, partitions: 1, config: ["cleanup.policy": "compact"]), timeoutMs: timeoutMs)
    }

    public static func memberID(workflow: String, stage: String, instance: String) -> String {
        "\(workflow)/\(stage)/\(instance)"
    }

    public static func nowMicros() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }

    /// VmRSS of this process from /proc/self/status, in bytes; nil where there is no /proc.
    public static func residentBytes() -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kb = Int64(fields[1]) else { return nil }
            return kb * 1024
        }
        return nil
    }
}

/// How a worker or monitor takes part in the registry.
public struct RegistrySettings: Sendable, Equatable {
    public var topic: String
    /// Seconds between heartbeats.
    public var heartbeatSeconds: Double
    /// A worker that rejoined its group less than this long ago reports "degraded".
    public var degradedSeconds: Double

    public init(topic: String = Registry.defaultTopic, heartbeatSeconds: Double = 3, degradedSeconds: Double = 30) {
        self.topic = topic
        self.heartbeatSeconds = heartbeatSeconds
        self.degradedSeconds = degradedSeconds
    }
}
