import Foundation
import SluiceEvents
import SluiceKafka

/// The exact accounting of one fault run: every id out of the last topic compared
/// with every id in, read afresh from the topic's beginning after the stream drained.
struct FaultLedger {
    let inputs: Int
    let distinctOut: Int
    /// Input ids that never came out. Must be 0.
    let lost: [String]
    /// Output records beyond the first of each id (at-least-once allows them).
    let duplicates: Int
    /// Output ids that were never input: a worker made something up or mixed records.
    let unknown: [String]

    /// Reads `topic` (read_committed unless told, no consumer group) until every one of `ids` is out and
    /// nothing new came for `quiet` seconds, or `timeout` passed.
    static func read(
        bootstrapServers: String, topic: String, partitions: Int, expecting ids: [String],
        timeout: TimeInterval = 60, quiet: TimeInterval = 2,
        isolation: KafkaConsumerConfig.IsolationLevel = .readCommitted
    ) throws -> FaultLedger {
        let consumer = try KafkaConsumer(
            config: KafkaConsumerConfig(
                common: KafkaConfig(bootstrapServers: bootstrapServers, clientID: "fault-ledger"),
                groupID: "fault-ledger-\(UUID().uuidString)", isolationLevel: isolation))
        defer { consumer.close() }
        try consumer.assign(
            (0..<partitions).map { KafkaTopicPartitionOffset(topic: topic, partition: Int32($0), offset: -2) })
        let wanted = Set(ids)
        var counts: [String: Int] = [:]
        var missing = wanted.count
        let deadline = Date().addingTimeInterval(timeout)
        var lastRecord = Date()
        while Date() < deadline {
            let batch = try consumer.poll(maxRecords: 5_000, timeoutMs: 200)
            if !batch.isEmpty { lastRecord = Date() }
            for record in batch {
                let id =
                    (try? Envelope.decode(record.value, fallbackID: "", fallbackCreatedAt: 0).id) ?? "<undecodable>"
                counts[id, default: 0] += 1
                if counts[id] == 1 && wanted.contains(id) { missing -= 1 }
            }
            if missing == 0 && Date().timeIntervalSince(lastRecord) >= quiet { break }
        }
        return FaultLedger(
            inputs: ids.count, distinctOut: counts.count,
            lost: ids.filter { counts[$0] == nil },
            duplicates: counts.values.reduce(0) { $0 + $1 - 1 },
            unknown: counts.keys.filter { !wanted.contains($0) }.sorted())
    }

    /// `FAULT <name>: in 3000, out 3000, lost 0, duplicates 12, recovery 7.4 s, run 41.0 s`
    func summary(_ name: String, recovery: TimeInterval?, run: TimeInterval, extra: String = "") -> String {
        let recoveryText = recovery.map { String(format: "%.1f s", $0) } ?? "never"
        return "FAULT \(name): in \(inputs), out \(distinctOut), lost \(lost.count), duplicates \(duplicates), "
            + "recovery \(recoveryText), run \(String(format: "%.1f", run)) s" + (extra.isEmpty ? "" : ", \(extra)")
    }
}
