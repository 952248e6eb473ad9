import Foundation
import SluiceEvents
import SluiceKafka

/// Reads a topic from its beginning while a test runs and notes when each id first
/// appeared, to time the recovery after a fault. It assigns the partitions itself
/// (no consumer group), so its own view is never disturbed by a rebalance.
final class OutputWatch: @unchecked Sendable {
    let topic: String
    private let consumer: KafkaConsumer
    private let lock = NSLock()
    private var firstSeen: [String: Date] = [:]
    private var records = 0
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    init(bootstrapServers: String, topic: String, partitions: Int) throws {
        self.topic = topic
        consumer = try KafkaConsumer(
            config: KafkaConsumerConfig(
                common: KafkaConfig(bootstrapServers: bootstrapServers, clientID: "fault-watch"),
                groupID: "fault-watch-\(UUID().uuidString)"))
        // -2 is librdkafka's OFFSET_BEGINNING.
        try consumer.assign(
            (0..<partitions).map { KafkaTopicPartitionOffset(topic: topic, partition: Int32($0), offset: -2) })
        Thread { [self] in
            while !lock.withLock({ stopping }) {
                guard let batch = try? consumer.poll(maxRecords: 2_000, timeoutMs: 100) else { continue }
                let now = Date()
                let ids = batch.compactMap { try? Envelope.decode($0.value, fallbackID: "", fallbackCreatedAt: 0).id }
                lock.withLock {
                    records += batch.count
                    for id in ids where firstSeen[id] == nil { firstSeen[id] = now }
                }
            }
            consumer.close()
            finished.signal()
        }.start()
    }

    var distinctCount: Int { lock.withLock { firstSeen.count } }
    var recordCount: Int { lock.withLock { records } }
    func seen(_ id: String) -> Bool { lock.withLock { firstSeen[id] != nil } }
    var seenIDs: Set<String> { lock.withLock { Set(firstSeen.keys) } }
    func firstSeen(_ id: String) -> Date? { lock.withLock { firstSeen[id] } }

    /// Recovery: seconds from `faultEnd` until the LAST of `ids` (those sent before the
    /// fault ended) had come out, i.e. until the output caught up with everything the
    /// fault held back; 0 when nothing was held back. nil while any of them is missing.
    func catchUp(of ids: ArraySlice<String>, after faultEnd: Date) -> TimeInterval? {
        lock.withLock { () -> TimeInterval? in
            var latest = faultEnd
            for id in ids {
                guard let seen = firstSeen[id] else { return nil }
                if seen > latest { latest = seen }
            }
            return latest.timeIntervalSince(faultEnd)
        }
    }

    /// Seconds from `faultEnd` to the first id that had not come out before it (output resumed).
    func resumption(after faultEnd: Date) -> TimeInterval? {
        lock.withLock { firstSeen.values.filter { $0 > faultEnd }.min()?.timeIntervalSince(faultEnd) }
    }

    func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopping = true }
            return !stopping
        }
        if first { _ = finished.wait(timeout: .now() + 10) }
    }
}
