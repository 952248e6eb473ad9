import Foundation
import SluiceEvents
import SluiceJSON
import SluiceKafka
import SluiceML

/// Feeds the workflow's input topic with tweets from the corpus at a steady
/// rate, on its own thread, until stopped. Each event is stamped like any other
/// (`EventStamp`): its `created_at` is taken here, so end-to-end latency is measured from here.
final class DemoFeeder: @unchecked Sendable {
    private let producer: KafkaProducer
    private let topic: String
    private let workflow: String
    private let texts: [String]
    private let rate: Double
    private let lock = NSLock()
    private let stopped = StopFlag()
    private var sentCount = 0
    private let finished = DispatchSemaphore(value: 0)
    /// The feed batches like any busy producer: one produce request carries up to 20 ms of
    /// posts. Every request adds a stored batch per partition, and the embedded broker lists a
    /// partition's every stored batch on each fetch, so a record a request (linger 5 ms at a few
    /// hundred posts a second) cost it more CPU than the rest of the workflow together
    /// (docs/benchmarks/cpu-budget.md).
    static let lingerMs = 20

    init(brokers: String, properties: [String: String], workflow: String, topic: String, texts: [String], rate: Double)
        throws
    {
        producer = try KafkaProducer(
            config: KafkaProducerConfig(
                common: KafkaConfig(bootstrapServers: brokers, clientID: "sluice-up-feeder", properties: properties),
                lingerMs: DemoFeeder.lingerMs))
        self.workflow = workflow
        self.topic = topic
        self.texts = texts
        self.rate = rate
    }

    var sent: Int {
        lock.lock()
        defer { lock.unlock() }
        return sentCount
    }

    func start() {
        Thread { [self] in
            let started = DispatchTime.now().uptimeNanoseconds
            var index = 0
            while !stopped.isSet {
                // Steady pacing: event n is due at n / rate seconds after the start.
                let due = started + UInt64(Double(index) / rate * 1e9)
                let now = DispatchTime.now().uptimeNanoseconds
                if due > now { Thread.sleep(forTimeInterval: Double(due - now) / 1e9) }
                let text = texts[index % texts.count]
                let id = "demo-\(index)"
                let event = EventStamp.stamp(
                    ["id": .string(id), "text": .string(text)], entry: "demo", workflow: workflow)
                do {
                    try producer.enqueue(
                        KafkaProducerMessage(
                            topic: topic, key: Array(id.utf8), value: event.value,
                            headers: event.headers.map { KafkaHeader(key: $0.key, value: $0.value) }),
                        onDelivery: { _ in })
                    lock.lock()
                    sentCount += 1
                    lock.unlock()
                } catch {
                    Thread.sleep(forTimeInterval: 0.05)  // queue full: let it drain
                    continue
                }
                index += 1
            }
            producer.close()
            finished.signal()
        }.start()
    }

    /// Idempotent: `sluice up` stops the feed early when the broker is full, then again at the end.
    func stop() {
        stopped.set()
        if finished.wait(timeout: .now() + 15) == .success { finished.signal() }  // let a later call pass at once
    }
}
