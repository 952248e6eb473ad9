import Foundation
import SluiceEvents
import SluiceKafka

/// Produces `count` distinct ids (`<prefix>-0`, `<prefix>-1`, ...) at a steady `rate`
/// on its own thread, so a fault can land while the stream is still running. It
/// remembers where each acknowledged id landed (partition, offset): the tests tie
/// committed offsets back to input ids with it.
final class EventFeed: @unchecked Sendable {
    let ids: [String]
    let topic: String
    let rate: Double
    private let producer: KafkaProducer
    private let lock = NSLock()
    private var enqueued = 0
    private var placed: [String: KafkaTopicPartitionOffset] = [:]
    private var failures: [String] = []
    private let finished = DispatchSemaphore(value: 0)

    init(bootstrapServers: String, topic: String, prefix: String, count: Int, rate: Double) throws {
        ids = (0..<count).map { "\(prefix)-\($0)" }
        self.topic = topic
        self.rate = rate
        // A long message timeout: the inputs must survive the fault too (a paused broker
        // is paused for the test's producer as well), or the accounting would start wrong.
        producer = try KafkaProducer(
            config: KafkaProducerConfig(
                common: KafkaConfig(bootstrapServers: bootstrapServers, clientID: "fault-feed"),
                messageTimeoutMs: 180_000))
    }

    func start() {
        Thread { [self] in
            let started = Date()
            for (index, id) in ids.enumerated() {
                let due = started.addingTimeInterval(Double(index) / rate)
                let wait = due.timeIntervalSinceNow
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                let value = Envelope(id: id, createdAt: EventClock.nowMicros(), text: "fault event \(index)").encoded()
                let message = KafkaProducerMessage(topic: topic, key: Array(id.utf8), value: value)
                do {
                    try producer.enqueue(message, waitingForSpaceUpToMs: 60_000) { [self] report in
                        lock.withLock {
                            if let offset = report.offset, report.error == nil {
                                placed[id] = KafkaTopicPartitionOffset(
                                    topic: report.topic, partition: report.partition, offset: offset)
                            } else {
                                failures.append("\(id): \(report.error.map { "\($0)" } ?? "no offset")")
                            }
                        }
                    }
                } catch {
                    lock.withLock { failures.append("\(id): not queued: \(error)") }
                }
                lock.withLock { enqueued = index + 1 }
            }
            try? producer.flush(timeoutMs: 180_000)
            finished.signal()
        }.start()
    }

    /// Ids handed to the producer so far, in order: `ids[0..<sentCount]`.
    var sentCount: Int { lock.withLock { enqueued } }

    /// Waits until every id was queued and every delivery report came back.
    func waitUntilAcknowledged(timeout: TimeInterval) -> Bool {
        finished.wait(timeout: .now() + timeout) == .success
    }

    /// id -> where the broker stored it, for acknowledged ids.
    var placements: [String: KafkaTopicPartitionOffset] { lock.withLock { placed } }
    var failed: [String] { lock.withLock { failures } }

    func close() { producer.close(flushTimeoutMs: 1_000) }
}
