import SluiceKafka
import SluicePipeline
import XCTest

/// The worker's batch filter, driven by scripted polls and rebalance events in
/// the order librdkafka serves them inside one batch poll. A record is dropped
/// only when its partition was revoked (or lost) after the record was fetched.
final class RebalanceTrackerTests: XCTestCase {
    let p0 = KafkaTopicPartition(topic: "posts", partition: 0)
    let p1 = KafkaTopicPartition(topic: "posts", partition: 1)

    /// Records of `partition` at `offsets`, as a poll returns them after `epoch` rebalance events.
    func poll(_ partition: KafkaTopicPartition, _ offsets: ClosedRange<Int64>, epoch: UInt64) -> [KafkaRecord] {
        offsets.map { offset in
            KafkaRecord(
                topic: partition.topic, partition: partition.partition, offset: offset, key: nil, value: [],
                headers: [],
                timestampMs: nil, rebalanceEpoch: epoch)
        }
    }

    func offsets(_ records: [KafkaRecord], _ partition: KafkaTopicPartition) -> [Int64] {
        records.filter { $0.topicPartition == partition }.map(\.offset)
    }

    /// Eager scale-out: every partition revoked, then both given back to the same
    /// worker inside one batch poll. The re-fetched records (from the committed
    /// offset) must be kept; the stale ones dropped. Before the fix the filter
    /// dropped every record of a partition revoked at any point of the poll.
    func testRecordsRefetchedAfterTheSamePartitionCameBackAreKept() {
        let tracker = RebalanceTracker()
        tracker.handle(.assigned([p0, p1]), epoch: 1)
        var batch = poll(p0, 0...9, epoch: 1) + poll(p1, 0...4, epoch: 1)
        tracker.handle(.revoked([p0, p1]), epoch: 2)
        tracker.handle(.assigned([p0, p1]), epoch: 3)
        batch += poll(p0, 0...14, epoch: 3) + poll(p1, 0...7, epoch: 3)
        let kept = tracker.keepCurrent(batch)
        XCTAssertEqual(offsets(kept, p0), Array(0...14), "p0 re-read from its committed offset, once")
        XCTAssertEqual(offsets(kept, p1), Array(0...7))
        XCTAssertEqual(tracker.current, [p0, p1])
    }

    /// A partition that moved to another worker: everything fetched before the revoke goes.
    func testRecordsOfAPartitionThatMovedAwayAreDropped() {
        let tracker = RebalanceTracker()
        tracker.handle(.assigned([p0, p1]), epoch: 1)
        var batch = poll(p0, 0...9, epoch: 1) + poll(p1, 0...9, epoch: 1)
        tracker.handle(.revoked([p0, p1]), epoch: 2)
        tracker.handle(.assigned([p1]), epoch: 3)
        batch += poll(p1, 0...11, epoch: 3)
        let kept = tracker.keepCurrent(batch)
        XCTAssertEqual(offsets(kept, p0), [], "p0 belongs to another worker now")
        XCTAssertEqual(offsets(kept, p1), Array(0...11))
        XCTAssertEqual(tracker.current, [p1])
    }

    /// Cooperative protocol: only the moving partition is revoked; the other keeps its records.
    func testAnIncrementalRevokeDropsOnlyThatPartition() {
        let tracker = RebalanceTracker()
        tracker.handle(.assigned([p0, p1]), epoch: 1)
        var batch = poll(p0, 0...4, epoch: 1) + poll(p1, 0...4, epoch: 1)
        tracker.handle(.revoked([p1]), epoch: 2)
        batch += poll(p0, 5...9, epoch: 2)
        let kept = tracker.keepCurrent(batch)
        XCTAssertEqual(offsets(kept, p0), Array(0...9))
        XCTAssertEqual(offsets(kept, p1), [])
    }

    /// Lost partitions (session timeout) may already be another member's: drop like a revoke.
    func testLostPartitionsAreDroppedLikeRevokedOnes() {
        let tracker = RebalanceTracker()
        tracker.handle(.assigned([p0]), epoch: 1)
        let stale = poll(p0, 0...4, epoch: 1)
        tracker.handle(.lost([p0]), epoch: 2)
        tracker.handle(.assigned([p0]), epoch: 3)
        let fresh = poll(p0, 3...6, epoch: 3)
        XCTAssertEqual(offsets(tracker.keepCurrent(stale + fresh), p0), Array(3...6))
    }

    /// The filter remembers revokes across batches: a record stamped before a revoke
    /// is stale in any later batch too, and nothing else is dropped.
    func testARevokeLongAgoDoesNotDropNewRecords() {
        let tracker = RebalanceTracker()
        tracker.handle(.assigned([p0]), epoch: 1)
        tracker.handle(.revoked([p0]), epoch: 2)
        tracker.handle(.assigned([p0]), epoch: 3)
        XCTAssertEqual(offsets(tracker.keepCurrent(poll(p0, 0...2, epoch: 3)), p0), [0, 1, 2])
        XCTAssertEqual(offsets(tracker.keepCurrent(poll(p0, 3...5, epoch: 3)), p0), [3, 4, 5])
        XCTAssertEqual(tracker.keepCurrent(poll(p0, 0...2, epoch: 1)), [], "fetched before the revoke")
    }
}
