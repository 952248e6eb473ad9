import Foundation
import Logging
import SluiceKafka

/// Enqueues a batch's outputs. While the producer's queue is full (more than
/// `limits.max_in_flight` records unacknowledged) it pauses the consumer's
/// partitions, so no more is fetched; the batch resumes them once it has drained.
struct BackPressure {
    let consumer: KafkaConsumer
    let counters: WorkerCounters
    let logger: Logger

    /// Produces a batch and waits for every delivery report.
    func send(_ messages: [KafkaProducerMessage], with producer: KafkaProducer, timeoutMs: Int = 60_000) throws
        -> [KafkaDeliveryReport]
    {
        let sent = try enqueue(messages, with: producer)
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1_000)
        guard let reports = sent.collector.wait(until: deadline) else {
            throw SessionRestart(reason: "\(messages.count) records not acknowledged within \(timeoutMs) ms")
        }
        try resume(sent.paused)
        return reports
    }

    /// Queues every message (its report goes to `collector` at its index) and returns the
    /// partitions it paused on the way, for `resume` once the reports are in.
    func enqueue(_ messages: [KafkaProducerMessage], with producer: KafkaProducer) throws -> (
        collector: KafkaDeliveryCollector, paused: [KafkaTopicPartition]
    ) {
        let collector = KafkaDeliveryCollector(expected: messages.count)
        var paused: [KafkaTopicPartition] = []
        for (index, message) in messages.enumerated() {
            while !(try enqueue(message, with: producer) { collector.record($0, at: index) }) {
                if paused.isEmpty {
                    paused = try consumer.assignment()
                    try consumer.pause(paused)
                    counters.paused()
                    logger.info(
                        "producer queue full (\(producer.inFlightCount) in flight): paused \(paused.count) partitions")
                }
                Thread.sleep(forTimeInterval: 0.002)
            }
        }
        return (collector, paused)
    }

    func resume(_ paused: [KafkaTopicPartition]) throws {
        guard !paused.isEmpty else { return }
        try consumer.resume(paused)
        logger.info("producer queue drained: resumed \(paused.count) partitions")
    }

    /// False when the producer queue is full.
    private func enqueue(
        _ message: KafkaProducerMessage, with producer: KafkaProducer,
        onDelivery: @escaping @Sendable (KafkaDeliveryReport) -> Void
    ) throws(KafkaError) -> Bool {
        do throws(KafkaError) {
            try producer.enqueue(message, onDelivery: onDelivery)
            return true
        } catch  where error.code == .queueFull {
            return false
        }
    }
}
