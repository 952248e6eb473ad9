import Foundation
import Logging
import SluiceKafka

/// At-least-once delivery with up to `limit` batches in flight: while batch N's outputs
/// wait for their acknowledgements, the worker polls batch N+1 and runs its step.
///
/// The rules that keep it from losing a record:
/// - batches are retired (committed) strictly in the order they were polled, and a batch
///   commits, per partition, only the offsets up to its first record whose output (or dead
///   letter) failed: never past a record the broker has not acknowledged;
/// - after a failure nothing more is committed in this session: the batches behind it are
///   dropped (their outputs may still land: duplicates, which at-least-once allows) and the
///   worker rejoins from the committed offsets;
/// - a revoke (inside poll) first waits for every batch in flight and commits what was
///   acknowledged, while the partitions are still this worker's, and only then lets them go.
final class AtLeastOnceWindow: BatchDelivery, @unchecked Sendable {
    let producer: KafkaProducer
    let consumer: KafkaConsumer
    let logger: Logger
    let counters: WorkerCounters
    let limit: Int
    let timeoutMs: Int

    private struct InFlight {
        var consumed: [KafkaRecord]
        var collector: KafkaDeliveryCollector
        var paused: [KafkaTopicPartition]
        var deadline: Date
        var done: () -> Void
    }
    private var inFlight: [InFlight] = [] {
        didSet { counters.inFlight(inFlight.count) }
    }
    /// Set by the first failed delivery; from then on the session only ends.
    private var failure: SessionRestart?

    init(
        producer: KafkaProducer, consumer: KafkaConsumer, logger: Logger, counters: WorkerCounters, limit: Int,
        timeoutMs: Int = 60_000
    ) {
        self.counters = counters
        self.producer = producer
        self.consumer = consumer
        self.logger = logger
        self.limit = max(1, limit)
        self.timeoutMs = timeoutMs
    }

    var count: Int { inFlight.count }

    func send(
        _ messages: [KafkaProducerMessage], consumed: [KafkaRecord], backPressure: BackPressure,
        done: @escaping () -> Void
    ) throws {
        // Room first: at most `limit` batches in flight, this one included.
        while inFlight.count >= limit { try retireOldest(waiting: true, backPressure: backPressure) }
        let sent = try backPressure.enqueue(messages, with: producer)
        inFlight.append(
            InFlight(
                consumed: consumed, collector: sent.collector, paused: sent.paused,
                deadline: Date().addingTimeInterval(Double(timeoutMs) / 1_000), done: done))
        if limit == 1 { try drain(backPressure: backPressure) }
    }

    func retireFinished(backPressure: BackPressure) throws {
        if let failure { throw failure }
        while !inFlight.isEmpty, try retireOldest(waiting: false, backPressure: backPressure) {}
    }

    func drain(backPressure: BackPressure) throws {
        if let failure { throw failure }
        while !inFlight.isEmpty { try retireOldest(waiting: true, backPressure: backPressure) }
    }

    func drainBeforeRevoke(backPressure: BackPressure) {
        do {
            try drain(backPressure: backPressure)
        } catch {
            logger.warning("before the revoke: \(error)")
        }
    }

    /// Retires the oldest batch once all its reports are in (`waiting`: blocks until then or
    /// its deadline). False when not waiting and it is not finished yet.
    @discardableResult
    private func retireOldest(waiting: Bool, backPressure: BackPressure) throws -> Bool {
        if let failure { throw failure }
        let oldest = inFlight[0]
        guard let reports = oldest.collector.wait(until: waiting ? oldest.deadline : Date()) else {
            guard waiting else { return false }
            throw fail(
                SessionRestart(reason: "\(oldest.consumed.count) records not acknowledged within \(timeoutMs) ms"))
        }
        inFlight.removeFirst()
        var commits: [KafkaTopicPartition: Int64] = [:]
        var failed: [KafkaTopicPartition: KafkaError] = [:]
        for (record, report) in zip(oldest.consumed, reports) {
            let partition = record.topicPartition
            guard failed[partition] == nil else { continue }
            if let error = report.error {
                failed[partition] = error
            } else {
                commits[partition] = record.offset + 1
            }
        }
        commit(commits)
        try? backPressure.resume(oldest.paused)
        if let (partition, error) = failed.first {
            throw fail(
                SessionRestart(
                    reason:
                        "delivery failed for a record from \(partition): \(error); committed only what was acknowledged"
                ))
        }
        oldest.done()
        return true
    }

    private func commit(_ commits: [KafkaTopicPartition: Int64]) {
        guard !commits.isEmpty else { return }
        let offsets = commits.map { entry in
            KafkaTopicPartitionOffset(topic: entry.key.topic, partition: entry.key.partition, offset: entry.value)
        }
        do {
            try consumer.commit(offsets: offsets)
        } catch {
            // Typically a rebalance in progress or a lost partition: its new owner re-reads
            // from the previous commit (duplicates, which at-least-once allows; no loss).
            logger.warning("commit of \(offsets) failed: \(error)")
        }
    }

    /// Ends the session's commits: the batches behind the failed one are never committed.
    private func fail(_ restart: SessionRestart) -> SessionRestart {
        failure = restart
        inFlight.removeAll()
        return restart
    }
}
