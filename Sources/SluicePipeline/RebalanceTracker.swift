import Foundation
import SluiceKafka

/// Remembers partitions revoked inside the current poll. The worker drops
/// records of those partitions from the batch in hand: their new owner reads
/// them again from the last committed offset, so nothing is lost, and this
/// worker never commits for a partition it no longer holds.
final class RebalanceTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var revoked: Set<KafkaTopicPartition> = []
    private var assigned: Set<KafkaTopicPartition> = []

    func handle(_ event: KafkaRebalanceEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .assigned(let partitions):
            assigned.formUnion(partitions)
        case .revoked(let partitions), .lost(let partitions):
            revoked.formUnion(partitions)
            assigned.subtract(partitions)
        }
    }

    /// Partitions revoked since the last call.
    func takeRevoked() -> Set<KafkaTopicPartition> {
        lock.lock()
        defer { lock.unlock() }
        let taken = revoked
        revoked = []
        return taken
    }

    var current: [KafkaTopicPartition] {
        lock.lock()
        defer { lock.unlock() }
        return assigned.sorted { left, right in
            left.topic == right.topic ? left.partition < right.partition : left.topic < right.topic
        }
    }
}
