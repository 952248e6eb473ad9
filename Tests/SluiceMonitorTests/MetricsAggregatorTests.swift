import SluiceEvents
import SluiceMonitor
import XCTest

final class MetricsAggregatorTests: XCTestCase {
    let t0 = Fixtures.t0
    let s = Fixtures.second

    /// One event through three stages; every figure worked out by hand.
    func testProcessingDelaysEndToEndAndEfficiency() throws {
        var aggregator = MetricsAggregator(stages: ["features", "topics", "sentiment"], startedAt: t0)
        aggregator.record(
            Fixtures.envelope(
                created: t0,
                [
                    .init(stage: "features", consumed: t0 + 2_000, produced: t0 + 12_000, batch: 4, process: 8_000),
                    .init(stage: "topics", consumed: t0 + 13_000, produced: t0 + 15_000, batch: 2, process: 1_000),
                    .init(stage: "sentiment", consumed: t0 + 15_500, produced: t0 + 17_000, batch: 1, process: 1_000),
                ]), now: t0 + s)
        let snapshot = aggregator.snapshot(windowSeconds: 10, now: t0 + s)
        // d = process_us / batch_size
        XCTAssertEqual(snapshot.stage("features")?.processingPerEvent.mean, 2_000)
        XCTAssertEqual(snapshot.stage("topics")?.processingPerEvent.p99, 500)
        XCTAssertEqual(snapshot.stage("sentiment")?.processingPerEvent.max, 1_000)
        XCTAssertEqual(snapshot.stage("features")?.processingPerBatch.mean, 8_000)
        XCTAssertEqual(snapshot.stage("features")?.batchSize.mean, 4)
        XCTAssertEqual(snapshot.hops.map(\.hop), ["input->features", "features->topics", "topics->sentiment"])
        XCTAssertEqual(snapshot.hop("input->features")?.delay.mean, 2_000)
        XCTAssertEqual(snapshot.hop("features->topics")?.delay.mean, 1_000)
        XCTAssertEqual(snapshot.hop("topics->sentiment")?.delay.mean, 500)
        XCTAssertEqual(snapshot.endToEnd.mean, 17_000)
        XCTAssertEqual(snapshot.endToEnd.count, 1)
        // (2000 + 500 + 1000) / 17000
        XCTAssertEqual(try XCTUnwrap(snapshot.efficiency), 3_500.0 / 17_000.0, accuracy: 1e-12)
        XCTAssertEqual(snapshot.stage("features")?.throughput, 0.1)  // 1 event / 10 s
        XCTAssertEqual(snapshot.hops.map(\.negativeClamped), [0, 0, 0])
    }

    /// 100 events with per-event times 10, 20, ..., 1000 µs: below 2,048 µs HDR with 3
    /// significant digits is exact, so the percentiles are the textbook ones.
    func testPercentilesExactBelow2048AndWithinOneThousandthAbove() {
        var aggregator = MetricsAggregator(stages: ["features"], startedAt: t0)
        for i in 1...100 {
            aggregator.record(Fixtures.single(created: t0 + Int64(i) * 10_000, process: Int64(i) * 10), now: t0 + 2 * s)
        }
        let d = aggregator.snapshot(windowSeconds: 10, now: t0 + 2 * s).stage("features")!.processingPerEvent
        XCTAssertEqual(d.count, 100)
        XCTAssertEqual(d.p50, 500)
        XCTAssertEqual(d.p90, 900)
        XCTAssertEqual(d.p99, 990)
        XCTAssertEqual(d.max, 1_000)
        XCTAssertEqual(d.mean, 505)

        var large = MetricsAggregator(stages: ["features"], startedAt: t0)
        large.record(Fixtures.single(created: t0, process: 1_234_567), now: t0 + 2 * s)
        large.record(Fixtures.single(created: t0 + 1, process: 2_000_000), now: t0 + 2 * s)
        let big = large.snapshot(windowSeconds: nil, now: t0 + 2 * s).stage("features")!.processingPerEvent
        XCTAssertGreaterThanOrEqual(big.p50, 1_234_567)
        XCTAssertLessThanOrEqual(Double(big.p50 - 1_234_567) / 1_234_567, 0.001)
        XCTAssertEqual(big.max, 2_000_000, "max is exact, not HDR-rounded")
        XCTAssertEqual(big.mean, 1_617_283.5, "mean is exact")
    }

    /// Per-event times from 1 µs to about 9 minutes (2^29 µs), in a scrambled order, spread over
    /// five one-second buckets: every bucket's histogram grows past several powers of two
    /// (its range widens as larger values come, and again when windows merge buckets of
    /// different ranges). Each window's percentiles stay within a thousandth of the exact
    /// ones, and count, mean and max are exact.
    func testPercentilesHoldWhileTheRangeGrows() {
        // 7,919 is prime, so i * 7,919 mod 2,000 visits every index once: a fixed scramble.
        let values = (0..<2_000).map { i -> Int64 in
            let j = i * 7_919 % 2_000
            return Int64(1) << (j % 30) + Int64(j * 37 % 1_000)
        }
        var aggregator = MetricsAggregator(stages: ["features"], startedAt: t0)
        for (i, value) in values.enumerated() {
            aggregator.record(
                // Produced 0.1 s into second i % 5 (the bucket an event counts in is its last hop's).
                Fixtures.single(
                    id: "e\(i)", created: t0 + Int64(i % 5) * s + 99_000 - value, process: value), now: t0 + 6 * s)
        }
        for window in [1, 10, 60, nil] as [Int?] {
            let counted = window == 1 ? values.enumerated().filter { $0.offset % 5 == 4 }.map(\.element) : values
            let exact = counted.sorted()
            let d = aggregator.snapshot(windowSeconds: window, now: t0 + 4 * s + 500_000).stage("features")!
                .processingPerEvent
            XCTAssertEqual(d.count, exact.count, "window \(String(describing: window))")
            XCTAssertEqual(d.max, exact.last)
            XCTAssertEqual(d.mean, Double(exact.reduce(0, +)) / Double(exact.count), accuracy: 1e-6)
            for (percentile, got) in [(0.5, d.p50), (0.9, d.p90), (0.99, d.p99)] {
                let want = exact[Int((Double(exact.count) * percentile).rounded(.up)) - 1]
                XCTAssertGreaterThanOrEqual(got, want, "p\(percentile * 100), window \(String(describing: window))")
                XCTAssertLessThanOrEqual(
                    Double(got - want), Double(want) * 0.001 + 1,
                    "p\(percentile * 100), window \(String(describing: window))")
            }
        }
    }

    /// An event 50 s before `now` is out of the 10 s window but in the 60 s one, and out
    /// of that too once 61 s have passed; since start keeps both.
    func testEventsFallOutOfWindows() {
        var aggregator = MetricsAggregator(stages: ["features"], startedAt: t0)
        aggregator.record(Fixtures.single(id: "old", created: t0 + 100_000, process: 1_000), now: t0 + s)
        aggregator.record(Fixtures.single(id: "new", created: t0 + 50 * s + 100_000, process: 3_000), now: t0 + 50 * s)
        let now = t0 + 55 * s + 500_000
        let ten = aggregator.snapshot(windowSeconds: 10, now: now)
        XCTAssertEqual(ten.events, 1)
        XCTAssertEqual(ten.stage("features")?.processingPerEvent.mean, 3_000)
        XCTAssertEqual(ten.arrivalRate, 0.1)
        let sixty = aggregator.snapshot(windowSeconds: 60, now: now)
        XCTAssertEqual(sixty.events, 2)
        XCTAssertEqual(sixty.stage("features")?.processingPerEvent.mean, 2_000)
        let later = aggregator.snapshot(windowSeconds: 60, now: t0 + 61 * s)
        XCTAssertEqual(later.events, 1, "the event at t0+0.1 s left the 60 s window [t0+2 s, t0+62 s)")
        let all = aggregator.snapshot(windowSeconds: nil, now: t0 + 61 * s)
        XCTAssertEqual(all.events, 2)
        XCTAssertEqual(all.spanSeconds, 61)
        XCTAssertEqual(aggregator.snapshots(now: now).map(\.windowName), ["10s", "60s", "all"])
    }

    /// A stage that consumed "before" the event was created (clock skew) gets 0, counted.
    func testNegativeDelaysAreClampedAndCounted() {
        var aggregator = MetricsAggregator(stages: ["features"], startedAt: t0)
        aggregator.record(
            Fixtures.envelope(
                created: t0 + 5_000,
                [.init(stage: "features", consumed: t0 + 3_000, produced: t0 + 4_000, process: 1_000)]),
            now: t0 + s)
        aggregator.record(Fixtures.single(created: t0 + 10_000, process: 500), now: t0 + s)
        let snapshot = aggregator.snapshot(windowSeconds: 10, now: t0 + s)
        let hop = snapshot.hop("input->features")!
        XCTAssertEqual(hop.negativeClamped, 1)
        XCTAssertEqual(hop.delay.count, 2)
        XCTAssertEqual(hop.delay.p50, 0, "the skewed delay is reported as 0, not -2000")
        XCTAssertEqual(hop.delay.max, 1_000)
        XCTAssertEqual(hop.delay.sum, 1_000)
        // End to end was -1000 µs for the first: clamped and counted too.
        XCTAssertEqual(snapshot.endToEndNegativeClamped, 1)
        XCTAssertEqual(snapshot.endToEnd.max, 1_500)
    }

    /// The doc comment's worked example: λ = 120 events/s, d = 9.5 ms, ρ = 0.7 → 2 replicas.
    func testReplicaAdviceWorkedExample() throws {
        XCTAssertEqual(ReplicaAdvice.needed(arrivalRate: 120, perEventSeconds: 0.0095, targetUtilisation: 0.7), 2)
        // 200 × 0.0095 / 0.7 = 2.71
        XCTAssertEqual(ReplicaAdvice.needed(arrivalRate: 200, perEventSeconds: 0.0095, targetUtilisation: 0.7), 3)
        XCTAssertEqual(ReplicaAdvice.needed(arrivalRate: 0, perEventSeconds: 0.0095, targetUtilisation: 0.7), 1)
        // 140 × 0.01 / 0.7 is 2 in exact arithmetic; floating-point noise must not make it 3.
        XCTAssertEqual(ReplicaAdvice.needed(arrivalRate: 140, perEventSeconds: 0.01, targetUtilisation: 0.7), 2)

        // The same from envelopes: 1,200 events created in the 10 s window, 9,500 µs each.
        var aggregator = MetricsAggregator(stages: ["features"], startedAt: t0)
        aggregator.setReplicas(1, stage: "features")
        for i in 0..<1_200 {
            aggregator.record(
                Fixtures.single(id: "\(i)", created: t0 + Int64(i) * 8_000, process: 9_500, worker: "w\(i)"),
                now: t0 + 10 * s)
        }
        let stage = try XCTUnwrap(aggregator.snapshot(windowSeconds: 10, now: t0 + 9 * s + 999_999).stage("features"))
        XCTAssertEqual(aggregator.snapshot(windowSeconds: 10, now: t0 + 9 * s + 999_999).arrivalRate, 120)
        XCTAssertEqual(stage.processingPerEvent.mean, 9_500)
        XCTAssertEqual(stage.replicasNeeded, 2)
        XCTAssertEqual(stage.replicas, 1)
        XCTAssertEqual(try XCTUnwrap(stage.utilisation), 1.14, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(stage.capacity), 1 / 0.0095, accuracy: 1e-9)
    }

    func testDeadLettersMakeTheErrorRateAndBatchesCountOnce() {
        var aggregator = MetricsAggregator(stages: ["features"], startedAt: t0)
        // Three events of one micro-batch of 3: same worker, consumed_at and produced_at.
        for i in 0..<3 {
            aggregator.record(
                Fixtures.envelope(
                    id: "\(i)", created: t0,
                    [.init(stage: "features", consumed: t0 + 1_000, produced: t0 + 7_000, batch: 3, process: 6_000)]),
                now: t0 + s)
        }
        aggregator.recordDeadLetter(DeadLetterNotice(stage: "features", reason: "missing-text", at: t0 + 2_000))
        let stage = aggregator.snapshot(windowSeconds: 10, now: t0 + s).stage("features")!
        XCTAssertEqual(stage.events, 3)
        XCTAssertEqual(stage.deadLetters, 1)
        XCTAssertEqual(stage.errorRate, 0.25)
        XCTAssertEqual(stage.processingPerEvent.count, 3)
        XCTAssertEqual(stage.processingPerEvent.mean, 2_000)
        XCTAssertEqual(stage.processingPerBatch.count, 1, "a batch is counted once, not once per event")
        XCTAssertEqual(stage.batchSize.mean, 3)
    }

    /// Stalled = no progress while work waits; committed offsets moving on are progress.
    func testStallNeedsWaitingWorkAndResetsOnCommitProgress() {
        var aggregator = MetricsAggregator(stages: ["features"], startedAt: t0)
        let waiting = LagReport.compute(highWatermarks: [0: 100], committed: [0: 90])
        aggregator.observeLag(waiting, stage: "features", now: t0 + s)
        XCTAssertEqual(aggregator.snapshot(windowSeconds: 10, now: t0 + 40 * s).stage("features")?.stallSeconds, 40)
        aggregator.observeLag(
            LagReport.compute(highWatermarks: [0: 120], committed: [0: 95]), stage: "features", now: t0 + 40 * s)
        XCTAssertEqual(aggregator.snapshot(windowSeconds: 10, now: t0 + 45 * s).stage("features")?.stallSeconds, 5)
        aggregator.observeLag(
            LagReport.compute(highWatermarks: [0: 120], committed: [0: 120]), stage: "features", now: t0 + 46 * s)
        XCTAssertEqual(aggregator.snapshot(windowSeconds: 10, now: t0 + 90 * s).stage("features")?.stallSeconds, 0)
    }
}
