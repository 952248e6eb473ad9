import Foundation
import SluiceEvents
import SluiceKafka
import SluicePipeline
import SluiceWorkflow
import XCTest

/// A stage that may run two batches at once (`Stage.concurrentBatches`, as the embed stage
/// does) must still hand every output over in input order, commit nothing it has not
/// delivered, and lose nothing when partitions move while both steps run.
final class ConcurrentStepTests: PipelineTestCase {
    /// Passes events through after `stepMs`, counting how many of its calls overlap.
    final class OverlapProbe: Stage, @unchecked Sendable {
        let width: Int
        let stepMs: Int
        private let lock = NSLock()
        private var running = 0
        private var mostRunning = 0

        init(width: Int, stepMs: Int) {
            self.width = width
            self.stepMs = stepMs
        }

        var requirement: StageRequirement { .text }
        var concurrentBatches: Int { width }
        var maxConcurrentCalls: Int { lock.withLock { mostRunning } }

        func process(_ batch: [Envelope]) -> [Result<Envelope, StageError>] {
            lock.withLock {
                running += 1
                mostRunning = max(mostRunning, running)
            }
            Thread.sleep(forTimeInterval: Double(stepMs) / 1_000)
            lock.withLock { running -= 1 }
            return batch.map { .success($0) }
        }
    }

    func relayWorkflow() throws -> Workflow {
        try workflowFile(
            """
            workflow: lanes
            topics: { posts: {partitions: 4}, done: {partitions: 4}, dlq: {partitions: 1} }
            input: posts
            output: done
            dead_letter: dlq
            stages:
              - { name: relay, task: passthrough, input: posts, output: done, batch: { size: 32, wait_ms: 5 } }
            """
        ).workflow
    }

    /// Events `c-0` ... keyed over 8 keys, so that each key's events sit in one partition in order.
    func backlog(_ total: Int) -> [KafkaProducerMessage] {
        (0..<total).map { index in
            let id = "c-\(index)"
            let value = Envelope(id: id, createdAt: EventClock.nowMicros(), text: "event \(index)").encoded()
            return KafkaProducerMessage(topic: "posts", key: Array("k\(index % 8)".utf8), value: value)
        }
    }

    func testTwoStepsAtOnceUnderABacklogKeepEachKeysOrder() throws {
        let workflow = try relayWorkflow()
        try applyTopics(workflow)
        let total = 2_000
        try produce(backlog(total))
        let probe = OverlapProbe(width: 2, stepMs: 20)
        try startWorker(workflow, stage: "relay", step: probe)

        let out = try readTopic("done", timeout: 60) { $0.count >= total }
        let (ids, duplicates) = try distinctIDs(out)
        XCTAssertEqual(ids.count, total, "every event comes out")
        XCTAssertEqual(duplicates, 0, "no failure, so no event is handed over twice")
        XCTAssertEqual(probe.maxConcurrentCalls, 2, "under a backlog the two steps overlap")
        var lastByKey: [String: Int] = [:]
        for record in out {
            let key = String(decoding: record.key ?? [], as: UTF8.self)
            let event = try Envelope.decode(record.value, fallbackID: "", fallbackCreatedAt: 0)
            let index = try XCTUnwrap(Int(event.id.dropFirst(2)))
            XCTAssertGreaterThan(index, lastByKey[key] ?? -1, "key \(key): \(event.id) came out of input order")
            lastByKey[key] = index
        }
    }

    /// The property the width exists for, checked the other way: a stage that says 1 is never
    /// called concurrently (Stage's threading contract), backlog or not.
    func testAStageOfWidthOneIsNeverCalledConcurrently() throws {
        let workflow = try relayWorkflow()
        try applyTopics(workflow)
        try produce(backlog(500))
        let probe = OverlapProbe(width: 1, stepMs: 5)
        try startWorker(workflow, stage: "relay", step: probe)
        let out = try readTopic("done", timeout: 60) { $0.count >= 500 }
        XCTAssertEqual(try distinctIDs(out).ids.count, 500)
        XCTAssertEqual(probe.maxConcurrentCalls, 1)
    }

    /// A second worker joins while the first runs two steps: the steps in hand are handed
    /// over and committed before the partitions go.
    func testScaleOutWhileTwoStepsRunLosesNothing() throws {
        try scaleOutLosesNothing(strategy: nil)
    }

    /// The eager protocol revokes every partition and gives some back in the same poll.
    func testEagerScaleOutWhileTwoStepsRunLosesNothing() throws {
        try scaleOutLosesNothing(strategy: "range,roundrobin")
    }

    private func scaleOutLosesNothing(strategy: String?) throws {
        let workflow = try relayWorkflow()
        try applyTopics(workflow)
        let properties = strategy.map { ["partition.assignment.strategy": $0] } ?? [:]
        let total = 6_000
        let feeder = PacedFeeder(config: config, topic: "posts", total: total, perSecond: 800) { index in
            PacedFeeder.event(id: "r-\(index)")
        }
        // 100 ms a batch of 32 on each of two steps: 640 events/s at most, below the feed, so a
        // backlog keeps both steps running until after the rebalance (about 5 s on Tansu).
        let first = OverlapProbe(width: 2, stepMs: 100)
        try startWorker(workflow, stage: "relay", step: first, properties: properties)
        try produce(backlog(1_000))
        feeder.start()
        Thread.sleep(forTimeInterval: 1)
        try startWorker(
            workflow, stage: "relay", step: OverlapProbe(width: 2, stepMs: 100), properties: properties,
            waitForAssignment: false)
        try feeder.wait(timeout: 60)

        let expected = Set((0..<total).map { "r-\($0)" } + (0..<1_000).map { "c-\($0)" })
        let out = try readTopic("done", timeout: 120) { try! distinctIDs($0).ids.count >= expected.count }
        let (ids, duplicates) = try distinctIDs(out)
        let lost = expected.subtracting(ids).count
        print(
            "LANES scale-out (\(strategy ?? "default")): in \(expected.count), out \(ids.count), lost \(lost), "
                + "duplicates \(duplicates), the first worker's most steps at once \(first.maxConcurrentCalls)")
        XCTAssertEqual(lost, 0, "a rebalance while steps run must not lose records")
        XCTAssertTrue(ids.isSubset(of: expected))
        XCTAssertEqual(first.maxConcurrentCalls, 2, "the first worker ran two steps at once")
        XCTAssertEqual(
            workers.map { $0.worker.counters.snapshot.assigned.count }.reduce(0, +), 4,
            "both workers share the four partitions at the end")
    }
}
