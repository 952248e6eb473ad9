import Foundation
import Logging
import SluiceKafka

/// How a worker hands a processed batch to Kafka and commits its input offsets.
/// All of it runs on the worker's thread, the rebalance handler included (it runs inside poll).
protocol BatchDelivery: AnyObject {
    /// Hands over a batch: `messages[i]` is the outcome of `consumed[i]`, and records of one
    /// partition are in offset order. It may return before the outputs are acknowledged;
    /// `done` runs once they are and the offsets are committed.
    func send(
        _ messages: [KafkaProducerMessage], consumed: [KafkaRecord], backPressure: BackPressure,
        done: @escaping () -> Void) throws
    /// Commits what has been acknowledged since, without waiting.
    func retireFinished(backPressure: BackPressure) throws
    /// Waits for every batch in flight and commits what was acknowledged.
    func drain(backPressure: BackPressure) throws
    /// The same from inside the rebalance handler, before partitions go: it cannot throw,
    /// so a failure is kept and thrown by the next `retireFinished`.
    func drainBeforeRevoke(backPressure: BackPressure)
}

/// Produce the outputs and commit the input offsets in one Kafka transaction per batch.
/// No overlap: a producer has one transaction open at a time, and the next batch's
/// records may only be produced once this one's commit (or abort) is decided.
final class ExactlyOnceDelivery: BatchDelivery {
    let producer: KafkaProducer
    let consumer: KafkaConsumer
    static let abortTimeoutMs = 5_000

    init(producer: KafkaProducer, consumer: KafkaConsumer) throws {
        self.producer = producer
        self.consumer = consumer
        try producer.initTransactions()
    }

    func send(
        _ messages: [KafkaProducerMessage], consumed: [KafkaRecord], backPressure: BackPressure,
        done: @escaping () -> Void
    ) throws {
        var next: [KafkaTopicPartition: Int64] = [:]
        for record in consumed {
            let following: Int64 = record.offset + 1
            next[record.topicPartition] = Swift.max(next[record.topicPartition] ?? 0, following)
        }
        let offsets = next.map { entry in
            KafkaTopicPartitionOffset(topic: entry.key.topic, partition: entry.key.partition, offset: entry.value)
        }
        try producer.beginTransaction()
        do {
            let reports = try backPressure.send(messages, with: producer)
            if let failure = reports.first(where: { !$0.isDelivered }) {
                throw SessionRestart(reason: "delivery failed inside a transaction: \(failure.error!)")
            }
            try producer.sendOffsetsToTransaction(offsets, groupMetadata: try consumer.groupMetadata())
            try producer.commitTransaction()
        } catch {
            // Nothing of this batch becomes visible to read_committed readers and its
            // offsets are not committed: the batch is read again after the rejoin.
            // The abort is bounded short: after a timeout librdkafka can only abort by
            // bumping the producer epoch, which Tansu refuses (UNKNOWN_SERVER_ERROR until the
            // deadline). If it fails, the session's new producer re-initialises the same
            // transactional id, and the broker aborts the open transaction then (fencing).
            // The log says the transaction was aborted on every path (a failed delivery as well as a
            // failed commit): on a broker that shows aborted records, that explains duplicates.
            let aborted = (try? producer.abortTransaction(timeoutMs: Self.abortTimeoutMs)) != nil
            let how =
                aborted
                ? "transaction aborted" : "transaction aborted by fencing when the next session's producer starts"
            throw SessionRestart(reason: "\((error as? SessionRestart)?.reason ?? "\(error)"); \(how)")
        }
        done()
    }

    func retireFinished(backPressure: BackPressure) throws {}
    func drain(backPressure: BackPressure) throws {}
    func drainBeforeRevoke(backPressure: BackPressure) {}
}
