import Foundation
import SluiceBroker
import SluiceKafka

/// `sluice bench kafka`: produce N small records to a fresh topic, consume
/// them back, report records/s each way. Blocking; run it off the cooperative pool.
public enum KafkaThroughputBenchmark {
    /// - Parameters:
    ///   - bootstrapServers: nil starts an `EmbeddedBroker` for the run,
    ///   - tansu: from this binary (nil: `EmbeddedBroker.locateTansu`).
    public static func run(
        bootstrapServers: String? = nil, records: Int = 100_000, recordSize: Int = 100, partitions: Int32 = 4,
        tansu: URL? = nil
    ) throws -> KafkaThroughputResult {
        var embedded: EmbeddedBroker?
        defer { embedded?.stop() }
        let servers: String
        if let bootstrapServers {
            servers = bootstrapServers
        } else {
            let broker = try EmbeddedBroker(executable: tansu)
            embedded = broker
            servers = broker.bootstrapServers
        }
        let common = KafkaConfig(bootstrapServers: servers, clientID: "sluice-bench")
        let topic = "sluice-bench-\(UUID().uuidString.prefix(8))"
        try KafkaAdmin(config: common).ensureTopic(KafkaNewTopic(name: topic, partitions: partitions))

        let produceSeconds = try produce(common: common, topic: topic, records: records, recordSize: recordSize)
        let consumed = try consume(common: common, topic: topic, records: records)
        return KafkaThroughputResult(
            records: records, recordSize: recordSize, partitions: partitions, produceSeconds: produceSeconds,
            consumeSeconds: consumed.seconds, consumerJoinSeconds: consumed.joinSeconds,
            duplicatesConsumed: consumed.duplicates)
    }

    private static func produce(common: KafkaConfig, topic: String, records: Int, recordSize: Int) throws -> Double {
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: common))
        defer { producer.close() }
        let failures = FailureCount()
        let payload = [UInt8](repeating: 0x61, count: max(recordSize - 8, 0))
        let started = Date()
        for index in 0..<records {
            let key = withUnsafeBytes(of: UInt64(index).bigEndian) { Array($0) }
            let message = KafkaProducerMessage(topic: topic, key: key, value: payload)
            try producer.enqueue(message, waitingForSpaceUpToMs: 60_000) { report in
                if !report.isDelivered { failures.increment() }
            }
        }
        try producer.flush(timeoutMs: 120_000)
        let seconds = Date().timeIntervalSince(started)
        if failures.value > 0 {
            throw KafkaError(code: .fatal, message: "benchmark: \(failures.value) of \(records) records not delivered")
        }
        return seconds
    }

    private static func consume(common: KafkaConfig, topic: String, records: Int) throws
        -> (seconds: Double, joinSeconds: Double, duplicates: Int)
    {
        let consumer = try KafkaConsumer(
            config: KafkaConsumerConfig(common: common, groupID: "sluice-bench-\(UUID().uuidString.prefix(8))"))
        defer { consumer.close() }
        try consumer.subscribe(topics: [topic])
        let subscribed = Date()
        var firstRecordAt: Date?
        var seen = Set<KafkaTopicPartitionOffset>()
        var duplicates = 0
        let deadline = Date().addingTimeInterval(120)
        while seen.count < records {
            guard Date() < deadline else {
                throw KafkaError(code: .timedOut, message: "benchmark: consumed \(seen.count) of \(records) in 120 s")
            }
            let batch = try consumer.poll(maxRecords: 5_000, timeoutMs: 100)
            if firstRecordAt == nil, !batch.isEmpty { firstRecordAt = Date() }
            for record in batch where !seen.insert(record.nextOffset).inserted { duplicates += 1 }
        }
        let first = firstRecordAt ?? subscribed
        return (Date().timeIntervalSince(first), first.timeIntervalSince(subscribed), duplicates)
    }

    private final class FailureCount: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func increment() {
            lock.lock()
            count += 1
            lock.unlock()
        }
        var value: Int {
            lock.lock()
            defer { lock.unlock() }
            return count
        }
    }
}
