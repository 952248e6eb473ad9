import Foundation
import SluiceEvents
import SluiceKafka
import SluicePipeline

/// Produces `total` events at about `perSecond` on its own thread, each tick's
/// slice sent and acknowledged before the next: a steady stream for fault tests.
final class PacedFeeder: @unchecked Sendable {
    private let config: KafkaConfig
    private let topic: String
    private let total: Int
    private let perSecond: Int
    private let make: @Sendable (Int) -> KafkaProducerMessage
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var failure: (any Error)?
    private var sentCount = 0

    init(
        config: KafkaConfig, topic: String, total: Int, perSecond: Int,
        make: @escaping @Sendable (Int) -> KafkaProducerMessage
    ) {
        self.config = config
        self.topic = topic
        self.total = total
        self.perSecond = perSecond
        self.make = make
    }

    var sent: Int { lock.withLock { sentCount } }

    /// A small event for `posts`, keyed by its id.
    static func event(id: String) -> KafkaProducerMessage {
        let value = Envelope(id: id, createdAt: EventClock.nowMicros(), text: "event \(id)").encoded()
        return KafkaProducerMessage(topic: "posts", key: Array(id.utf8), value: value)
    }

    func start() {
        Thread { [self] in
            defer { done.signal() }
            do {
                let producer = try KafkaProducer(config: KafkaProducerConfig(common: config))
                defer { producer.close() }
                let tick = 0.05
                let perTick = max(1, Int(Double(perSecond) * tick))
                let started = Date()
                var next = 0
                while next < total {
                    let slice = (next..<min(next + perTick, total)).map(make)
                    let reports = try producer.sendBatch(slice)
                    if let bad = reports.first(where: { !$0.isDelivered }) {
                        throw PipelineError("feeder: a record was not acknowledged: \(String(describing: bad.error))")
                    }
                    next += slice.count
                    lock.withLock { sentCount = next }
                    let due = started.addingTimeInterval(Double(next) / Double(perSecond))
                    let wait = due.timeIntervalSinceNow
                    if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                }
            } catch {
                lock.withLock { failure = error }
            }
        }.start()
    }

    /// Waits until every event was acknowledged; rethrows the feeder's error.
    func wait(timeout: TimeInterval) throws {
        guard done.wait(timeout: .now() + timeout) == .success else {
            throw PipelineError("feeder did not finish within \(timeout) s (sent \(sent) of \(total))")
        }
        if let failure = lock.withLock({ failure }) { throw failure }
    }
}
