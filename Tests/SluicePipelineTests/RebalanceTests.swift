import Foundation
import SluiceEvents
import SluiceKafka
import SluicePipeline
import SluiceWorkflow
import XCTest

/// A rebalance must never lose a record: records of a partition revoked while a
/// batch is being polled are dropped (their next owner reads them again), but
/// records fetched after the partition came back to the same worker are kept.
final class RebalanceTests: PipelineTestCase {
    /// A passthrough stage over six partitions with the given batch settings.
    func relayWorkflow(batchSize: Int, waitMs: Int) throws -> Workflow {
        try workflowFile(
            """
            workflow: rebalance
            topics: { posts: {partitions: 6}, done: {partitions: 6}, dlq: {partitions: 1} }
            input: posts
            output: done
            dead_letter: dlq
            stages:
              - { name: relay, task: passthrough, input: posts, output: done, batch: { size: \(batchSize), wait_ms: \(waitMs) } }
            """
        ).workflow
    }

    /// The eager protocol revokes every partition and assigns them again: the
    /// worker already running gets some of its partitions back inside the same
    /// batch poll. Before the fix, those re-fetched records were dropped while the
    /// fetch position moved past them, and the next commit skipped them.
    func testScaleOutWithEagerRebalanceInsideOneBatchPollLosesNothing() throws {
        try scaleOutLosesNothing(strategy: "range,roundrobin")
    }

    /// The default (cooperative-sticky) moves only the partitions the new worker takes.
    func testScaleOutWithDefaultStrategyInsideOneBatchPollLosesNothing() throws {
        try scaleOutLosesNothing(strategy: nil)
    }

    /// Fault test: a rebalance storm. During a 20,000-event stream a second and
    /// a third worker join and leave the group in turn, ten times each, while the
    /// first keeps running; every event still comes out.
    func testRebalanceStormDuringAStreamLosesNothing() throws {
        let workflow = try relayWorkflow(batchSize: 200, waitMs: 50)
        try applyTopics(workflow)
        try startWorker(workflow, stage: "relay")
        let total = 20_000
        let feeder = PacedFeeder(config: config, topic: "posts", total: total, perSecond: 500) { index in
            PacedFeeder.event(id: "s-\(index)")
        }
        let started = Date()
        feeder.start()
        var joins = 0
        var leaves = 0
        var extra: [RunningWorker] = []
        for cycle in 0..<10 {
            // Join one worker, and make the oldest extra one leave once two are in.
            extra.append(try startWorker(workflow, stage: "relay", waitForAssignment: false))
            joins += 1
            Thread.sleep(forTimeInterval: 1.5)
            if extra.count == 2 || cycle == 9 {
                let leaving = extra.removeFirst()
                DispatchQueue.global().async { leaving.stop() }
                leaves += 1
            }
            Thread.sleep(forTimeInterval: 1.5)
        }
        for leaving in extra {
            DispatchQueue.global().async { leaving.stop() }
            leaves += 1
        }
        try feeder.wait(timeout: 120)
        let stormEnded = Date()

        let expected = Set((0..<total).map { "s-\($0)" })
        let out = try readTopic("done", timeout: 180) { try! distinctIDs($0).ids.count >= total }
        let (ids, duplicates) = try distinctIDs(out)
        let lost = expected.subtracting(ids).count
        print(
            "FAULT rebalance-storm: in \(total), out \(ids.count), lost \(lost), duplicates \(duplicates), "
                + "\(joins) joins and \(leaves) leaves, all out \(String(format: "%.1f", Date().timeIntervalSince(stormEnded))) s "
                + "after the stream ended (\(String(format: "%.1f", Date().timeIntervalSince(started))) s in all)")
        XCTAssertEqual(lost, 0, "a rebalance storm must not lose records")
        XCTAssertTrue(ids.isSubset(of: expected))
        XCTAssertGreaterThanOrEqual(joins, 10)
        XCTAssertGreaterThanOrEqual(leaves, 10)
    }

    private func scaleOutLosesNothing(strategy: String?) throws {
        // A batch poll of 20 s: on Tansu (about 5 s between a revoke and the next
        // assignment) a revoke and the following assignment fall inside one batch poll.
        let workflow = try relayWorkflow(batchSize: 100_000, waitMs: 20_000)
        try applyTopics(workflow)
        let properties = strategy.map { ["partition.assignment.strategy": $0] } ?? [:]
        try startWorker(workflow, stage: "relay", properties: properties)
        let total = 6_000
        let feeder = PacedFeeder(config: config, topic: "posts", total: total, perSecond: 200) { index in
            PacedFeeder.event(id: "r-\(index)")
        }
        feeder.start()
        Thread.sleep(forTimeInterval: 3)
        try startWorker(workflow, stage: "relay", properties: properties, waitForAssignment: false)
        try feeder.wait(timeout: 60)

        let expected = Set((0..<total).map { "r-\($0)" })
        let out = try readTopic("done", timeout: 120) { try! distinctIDs($0).ids.count >= total }
        let (ids, duplicates) = try distinctIDs(out)
        let lost = expected.subtracting(ids).count
        print(
            "REBALANCE scale-out (\(strategy ?? "default")): in \(total), out \(ids.count), lost \(lost), duplicates \(duplicates)"
        )
        XCTAssertEqual(lost, 0, "a rebalance inside a batch poll must not lose records")
        XCTAssertTrue(ids.isSubset(of: expected))
        XCTAssertEqual(
            workers.map { $0.worker.counters.snapshot.assigned.count }.reduce(0, +), 6,
            "both workers share the six partitions at the end")
    }
}
