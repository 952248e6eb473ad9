import Foundation
import SluiceKafka

/// The registry as of one read: every member's latest record (a tombstone deletes
/// it), with the ones whose heartbeat is older than `staleAfterSeconds` marked stale.
public struct RegistryView: Sendable {
    public struct Member: Sendable, Equatable {
        public var entry: RegistryEntry
        /// Seconds since its last heartbeat, as of the read.
        public var heartbeatAge: Double
        /// No heartbeat for longer than the view's timeout: crashed, killed or cut off.
        public var isStale: Bool
    }

    /// Sorted by workflow, stage, member.
    public var members: [Member]
    public var staleAfterSeconds: Double
    /// When the view was taken (µs since the epoch).
    public var at: Int64
    /// Records read, tombstones and unreadable ones included.
    public var recordsRead: Int

    public var live: [Member] { members.filter { !$0.isStale } }
    public var stale: [Member] { members.filter(\.isStale) }

    /// Folds records in log order: the latest value per key wins, an empty (null)
    /// value deletes the key, a value that is not a registry record is ignored.
    public static func fold(
        _ records: [(key: [UInt8]?, value: [UInt8])], staleAfterSeconds: Double = 10, now: Int64 = Registry.nowMicros()
    ) -> RegistryView {
        var latest: [String: RegistryEntry] = [:]
        for record in records {
            guard let keyBytes = record.key else { continue }
            let key = String(decoding: keyBytes, as: UTF8.self)
            if record.value.isEmpty {
                latest[key] = nil
            } else if let entry = RegistryEntry(bytes: record.value) {
                latest[key] = entry
            }
        }
        let members = latest.values.map { entry in
            let age = max(0, Double(now - entry.lastHeartbeat) / 1_000_000)
            return Member(entry: entry, heartbeatAge: age, isStale: age > staleAfterSeconds)
        }.sorted {
            ($0.entry.workflow, $0.entry.stage ?? "", $0.entry.member) < (
                $1.entry.workflow, $1.entry.stage ?? "", $1.entry.member
            )
        }
        return RegistryView(members: members, staleAfterSeconds: staleAfterSeconds, at: now, recordsRead: records.count)
    }

    /// Reads `topic` from its start to the end it has when the read begins (each
    /// partition assigned directly: no group join), then folds it. A topic that does
    /// not exist yet is an empty registry. Throws when the broker cannot be reached or
    /// the end is not reached within `timeoutMs`.
    public static func read(
        config: KafkaConfig, topic: String = Registry.defaultTopic, staleAfterSeconds: Double = 10,
        timeoutMs: Int = 15_000
    ) throws(KafkaError) -> RegistryView {
        let records = try readAll(config: config, topic: topic, timeoutMs: timeoutMs)
        return fold(records.map { ($0.key, $0.value) }, staleAfterSeconds: staleAfterSeconds)
    }

    /// Every record of `topic` up to its end as of now, in order per partition.
    /// Listing all topics first avoids the metadata request for one named topic
    /// that makes auto-creating brokers (Tansu) create it.
    public static func readAll(config: KafkaConfig, topic: String, timeoutMs: Int = 15_000) throws(KafkaError)
        -> [KafkaRecord]
    {
        let admin = try KafkaAdmin(config: config)
        guard let found = try admin.listTopics(timeoutMs: timeoutMs).first(where: { $0.name == topic }) else {
            return []
        }
        return try readTail(
            config: config, admin: admin, topic: topic, partitions: found.partitions, last: nil, timeoutMs: timeoutMs)
    }

    /// Reads each partition from `high - last` (or its start when `last` is nil) to
    /// the high watermark taken now, then on until nothing arrives for `quietMs`.
    public static func readTail(
        config: KafkaConfig, admin: KafkaAdmin, topic: String, partitions: [Int32], last: Int64?, timeoutMs: Int,
        quietMs: Int = 300
    ) throws(KafkaError) -> [KafkaRecord] {
        var starts: [KafkaTopicPartitionOffset] = []
        var ends: [Int32: Int64] = [:]
        for partition in partitions {
            let marks = try admin.watermarks(topic: topic, partition: partition, timeoutMs: timeoutMs)
            let from = last.map { max(marks.low, marks.high - $0) } ?? marks.low
            // Read even a partition that looks empty: its watermark may trail its end.
            starts.append(KafkaTopicPartitionOffset(topic: topic, partition: partition, offset: from))
            if marks.high > from { ends[partition] = marks.high }
        }
        guard !starts.isEmpty else { return [] }
        var common = config
        common.clientID = "sluice-registry-reader"
        let consumer = try KafkaConsumer(
            config: KafkaConsumerConfig(
                common: common, groupID: "sluice-registry-reader-\(UUID().uuidString)",
                isolationLevel: .readUncommitted))
        defer { consumer.close() }
        try consumer.assign(starts)
        var records: [KafkaRecord] = []
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while !ends.isEmpty {
            guard Date() < deadline else {
                throw KafkaError(
                    code: .timedOut, message: "reading \(topic) did not reach its end within \(timeoutMs) ms",
                    isRetriable: true)
            }
            for record in try consumer.poll(maxRecords: 1_000, timeoutMs: 200) {
                records.append(record)
                if let end = ends[record.partition], record.offset + 1 >= end { ends[record.partition] = nil }
            }
        }
        // Tansu reports a high watermark up to one produce batch short of the real end
        // (seen: 402 for 502 records), so read on until a poll brings nothing.
        while Date() < deadline {
            // Before the first record the fetcher is still starting: give it longer.
            let more = try consumer.poll(maxRecords: 1_000, timeoutMs: records.isEmpty ? max(quietMs, 1_000) : quietMs)
            if more.isEmpty { break }
            records += more
        }
        return records
    }
}
