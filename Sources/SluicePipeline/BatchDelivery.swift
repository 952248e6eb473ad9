import Foundation
import Logging
import SluiceKafka

/// How a worker hands a processed batch to Kafka and commits its input offsets.
protocol BatchDelivery {
    /// `messages[i]` is the outcome of `consumed[i]`; records of one partition are in offset order.
    func deliver(_ messages: [KafkaProducerMessage], consumed: [KafkaRecord], backPressure: BackPressure) throws
}

/// Commit an offset only after every output of every record up to it was acknowledged.
struct AtLeastOnceDelivery: BatchDelivery {
    let producer: KafkaProducer
    let consumer: KafkaConsumer
    let logger: Logger

    func deliver(_ messages: [KafkaProducerMessage], consumed: [KafkaRecord], backPressure: BackPressure) throws {
        let reports = try backPressure.send(messages, with: producer)
        var commits: [KafkaTopicPartition: Int64] = [:]
        var failed: [KafkaTopicPartition: KafkaError] = [:]
        for (record, report) in zip(consumed, reports) {
            let partition = record.topicPartition
            guard failed[partition] == nil else { continue }
            if let error = report.error {
                failed[partition] = error
            } else {
                commits[partition] = record.offset + 1
            }
        }
        if !commits.isEmpty {
            let offsets = commits.map { entry in
                KafkaTopicPartitionOffset(topic: entry.key.topic, partition: entry.key.partition, offset: entry.value)
            }
            do {
                try consumer.commit(offsets: offsets)
            } catch {
                // Typically a rebalance in progress: the new owner re-reads from the
                // previous commit (duplicates, which at-least-once allows; no loss).
                logger.warning("commit of \(offsets) failed: \(error)")
            }
        }
        if let (partition, error) = failed.first {
            throw SessionRestart(
                reason: "delivery failed for a record from \(partition): \(error); committed only what was acknowledged"
            )
        }
    }
}

/// Produce the outputs and commit the input offsets in one Kafka transaction per batch.
struct ExactlyOnceDelivery: BatchDelivery {
    let producer: KafkaProducer
    let consumer: KafkaConsumer
    static let abortTimeoutMs = 5_000

    init(producer: KafkaProducer, consumer: KafkaConsumer) throws {
        self.producer = producer
        self.consumer = consumer
        try producer.initTransactions()
    }

    func deliver(_ messages: [KafkaProducerMessage], consumed: [KafkaRecord], backPressure: BackPressure) throws {
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
            try? producer.abortTransaction(timeoutMs: Self.abortTimeoutMs)
            if let restart = error as? SessionRestart { throw restart }
            throw SessionRestart(reason: "transaction aborted: \(error)")
        }
    }
}
