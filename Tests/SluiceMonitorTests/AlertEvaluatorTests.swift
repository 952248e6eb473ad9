import SluiceMonitor
import SluiceWorkflow
import XCTest

final class AlertEvaluatorTests: XCTestCase {
    let t0 = Fixtures.t0
    let s = Fixtures.second

    /// p99 end to end above 50 ms: fires once when a slow event enters the 10 s window,
    /// stays quiet while it stays, clears once when it has left.
    func testRuleFiresOnceAndClearsOnce() {
        var aggregator = MetricsAggregator(stages: ["features"], startedAt: t0)
        var evaluator = AlertEvaluator(rules: [AlertRuleSpec(name: "slow", metric: .p99EndToEndMs, above: 50)])
        aggregator.record(Fixtures.single(created: t0 + 100_000, process: 9_000), now: t0 + s)  // 10 ms
        XCTAssertEqual(evaluator.evaluate(aggregator.currentSnapshot(now: t0 + s)), [])

        aggregator.record(Fixtures.single(created: t0 + 2 * s, process: 199_000), now: t0 + 2 * s + 300_000)  // 200 ms
        let fired = evaluator.evaluate(aggregator.currentSnapshot(now: t0 + 2 * s + 500_000))
        XCTAssertEqual(
            fired, [AlertTransition(rule: "slow", state: .firing, value: 200, threshold: 50, at: t0 + 2 * s + 500_000)])
        XCTAssertEqual(
            evaluator.evaluate(aggregator.currentSnapshot(now: t0 + 3 * s)), [], "no repeat while it keeps firing")
        XCTAssertEqual(evaluator.firingRules, ["slow"])

        aggregator.record(Fixtures.single(created: t0 + 14 * s, process: 9_000), now: t0 + 14 * s)
        let cleared = evaluator.evaluate(aggregator.currentSnapshot(now: t0 + 15 * s))
        XCTAssertEqual(cleared.map(\.state), [.resolved])
        XCTAssertEqual(cleared.first?.value, 10)
        XCTAssertEqual(evaluator.evaluate(aggregator.currentSnapshot(now: t0 + 16 * s)), [])
        XCTAssertEqual(evaluator.firingRules, [])
    }

    func testLagAndDeadLetterRulesPerStage() {
        var aggregator = MetricsAggregator(stages: ["features", "topics"], startedAt: t0)
        var evaluator = AlertEvaluator(rules: [
            AlertRuleSpec(name: "backlog", metric: .lag, above: 1_000, stage: "topics"),
            AlertRuleSpec(name: "dlq", metric: .deadLetterRate, above: 0.2),
        ])
        // No lag report and no event yet: nothing known, nothing reported.
        XCTAssertEqual(evaluator.evaluate(aggregator.currentSnapshot(now: t0 + s)), [])
        aggregator.observeLag(
            LagReport.compute(highWatermarks: [0: 3_000, 1: 10], committed: [0: 1_000, 1: 10]), stage: "topics",
            now: t0 + s)
        aggregator.observeLag(
            LagReport.compute(highWatermarks: [0: 9_000], committed: [0: 0]), stage: "features", now: t0 + s)
        aggregator.record(Fixtures.single(created: t0 + 100_000, process: 1_000), now: t0 + s)
        aggregator.recordDeadLetter(DeadLetterNotice(stage: "features", reason: "invalid-json", at: t0 + 200_000))
        let first = evaluator.evaluate(aggregator.currentSnapshot(now: t0 + s))
        XCTAssertEqual(first.map(\.rule), ["backlog", "dlq"])
        XCTAssertEqual(first.map(\.value), [2_000, 0.5], "topics' lag only; 1 dead letter of 2 events")
        XCTAssertEqual(first.first?.subject, "topics")
        aggregator.observeLag(
            LagReport.compute(highWatermarks: [0: 3_000, 1: 10], committed: [0: 2_500, 1: 10]), stage: "topics",
            now: t0 + 2 * s)
        XCTAssertEqual(evaluator.evaluate(aggregator.currentSnapshot(now: t0 + 2 * s)).map(\.state), [.resolved])
    }
}
