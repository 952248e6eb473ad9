import SluiceMonitor
import XCTest

/// The stage's input rate comes from its input topic's high watermarks, so a stage that
/// is behind still sees the rate events arrive at, not the rate it manages to finish them.
final class InputRateTests: XCTestCase {
    let t0 = Fixtures.t0
    let s = Fixtures.second

    func testRateIsTheGrowthOfTheWatermarksOverTheWindow() throws {
        var rate = InputRate(keepSeconds: 10)
        XCTAssertNil(rate.rate(seconds: 10, now: t0), "no sample, no rate")
        rate.observe(offsets: 1_000, at: t0)
        XCTAssertNil(rate.rate(seconds: 10, now: t0), "one sample is no rate")
        // 90 events/s for 12 s, probed every 3 s; then 15 events/s.
        for probe in 1...4 { rate.observe(offsets: 1_000 + Int64(probe) * 270, at: t0 + Int64(probe) * 3 * s) }
        XCTAssertEqual(try XCTUnwrap(rate.rate(seconds: 10, now: t0 + 12 * s)), 90, accuracy: 1e-9)
        for probe in 5...8 { rate.observe(offsets: 2_080 + Int64(probe - 4) * 45, at: t0 + Int64(probe) * 3 * s) }
        // The 10 s window at 24 s starts at 14 s: measured from the 12 s sample (the newest at or before it).
        XCTAssertEqual(try XCTUnwrap(rate.rate(seconds: 10, now: t0 + 24 * s)), 15, accuracy: 1e-9)
    }

    func testWatermarksMovingBackStartOver() {
        var rate = InputRate(keepSeconds: 10)
        rate.observe(offsets: 5_000, at: t0)
        rate.observe(offsets: 5_300, at: t0 + 3 * s)
        rate.observe(offsets: 20, at: t0 + 6 * s)  // the topic was recreated
        XCTAssertNil(rate.rate(seconds: 10, now: t0 + 6 * s), "one sample since the reset")
        rate.observe(offsets: 80, at: t0 + 9 * s)
        XCTAssertEqual(rate.rate(seconds: 10, now: t0 + 9 * s), 20)
    }

    /// A stage behind its input: few events finish in the window, so the workflow's arrival
    /// rate (by created_at, from finished events) reads low, but the advice uses the input's.
    func testAdviceUsesTheInputRateOfAStageThatIsBehind() throws {
        var aggregator = MetricsAggregator(stages: ["features"], startedAt: t0)
        // The input grows by 90 events/s, probed every 3 s.
        for probe in 0...4 {
            let offsets = Int64(probe) * 270
            aggregator.observeLag(
                LagReport.compute(highWatermarks: [0: offsets], committed: [0: offsets / 2]), stage: "features",
                now: t0 + Int64(probe) * 3 * s)
        }
        // Only 50 events/s finish (one replica at 20 ms each).
        for i in 0..<500 {
            aggregator.record(
                Fixtures.single(id: "\(i)", created: t0 + 2 * s + Int64(i) * 20_000, process: 20_000, worker: "w\(i)"),
                now: t0 + 12 * s)
        }
        let snapshot = aggregator.snapshot(windowSeconds: 10, now: t0 + 12 * s)
        let stage = try XCTUnwrap(snapshot.stage("features"))
        XCTAssertEqual(try XCTUnwrap(stage.inputRate), 90, accuracy: 1e-9)
        XCTAssertLessThan(snapshot.arrivalRate, 60, "finished events alone would say about 50/s")
        // ceil(90 x 0.020 / 0.7) = ceil(2.57) = 3; from the finished events it would be ceil(1.43) = 2.
        XCTAssertEqual(stage.replicasNeeded, 3)
    }
}
