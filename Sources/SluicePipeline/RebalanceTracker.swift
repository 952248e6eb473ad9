import Foundation
import SluiceKafka

/// The worker's batch filter across rebalances. A batch is polled over many
/// calls, and rebalances are served inside them, so a batch in hand can hold
/// records fetched under an assignment that has ended. Such a record is
/// dropped: its partition's owner (this worker again, or another) reads it
/// again from the last committed offset, so nothing is lost, and this worker
/// never commits past a record on the strength of a fetch it no longer owns.
///
/// A record is dropped only when its partition was revoked (or lost) after it
/// was fetched, compared by rebalance epoch (`KafkaRecord.rebalanceEpoch`).
/// Dropping every record of any partition revoked during the poll was wrong:
/// under the eager protocol a worker gets partitions back in the same poll,
/// re-fetches them from the committed offset, and those records were dropped
/// while the fetch position moved past them, so the next commit skipped them.
public final class RebalanceTracker: @unchecked Sendable {
    private let lock = NSLock()
    /// The epoch of each partition's latest revoke or loss.
    private var revokedAt: [KafkaTopicPartition: UInt64] = [:]
    private var assigned: Set<KafkaTopicPartition> = []

    public init() {}

    /// Feed it every rebalance event with its epoch (`KafkaConsumer.setRebalanceHandler`).
    public func handle(_ event: KafkaRebalanceEvent, epoch: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .assigned(let partitions):
            assigned.formUnion(partitions)
        case .revoked(let partitions), .lost(let partitions):
            for partition in partitions { revokedAt[partition] = epoch }
            assigned.subtract(partitions)
        }
    }

    /// True when the record's partition was revoked or lost after the record was fetched.
    public func isStale(_ record: KafkaRecord) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return revokedAt[record.topicPartition].map { $0 > record.rebalanceEpoch } ?? false
    }

    /// The records of `batch` still fetched under the current assignment, in order.
    public func keepCurrent(_ batch: [KafkaRecord]) -> [KafkaRecord] {
        batch.filter { !isStale($0) }
    }

    /// The partitions assigned now, sorted.
    public var current: [KafkaTopicPartition] {
        lock.lock()
        defer { lock.unlock() }
        return assigned.sorted { left, right in
            left.topic == right.topic ? left.partition < right.partition : left.topic < right.topic
        }
    }
}
