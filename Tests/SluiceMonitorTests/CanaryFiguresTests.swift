import SluiceEvents
import SluiceJSON
import SluiceMonitor
import XCTest

/// Canary figures: events whose `results.<key>.canary` was written by a stage
/// running a canary head, counted per stage and pair of versions.
final class CanaryFiguresTests: XCTestCase {
    /// A scored event; `canary` is (score, agrees) when the canary head scored it too.
    func event(
        _ index: Int, score: Double, canary: (Double, Bool)?, active: String = "v1", canaryVersion: String = "v2"
    )
        -> Envelope
    {
        var sentiment: [String: JSONValue] = ["score": .double(score), "head_version": .string(active)]
        if let (canaryScore, agrees) = canary {
            sentiment["canary"] = .object([
                "head_version": .string(canaryVersion), "label": .string("neutral"), "score": .double(canaryScore),
                "agrees": .bool(agrees),
            ])
        }
        let at = Fixtures.t0 + Int64(index) * 1_000
        return Fixtures.envelope(
            id: "e\(index)", created: at,
            [Fixtures.HopTimes(stage: "mood", consumed: at + 100, produced: at + 200, process: 100)],
            results: ["sentiment": .object(sentiment)])
    }

    func testAgreementAndBothScoreDistributionsPerStageAndVersionPair() throws {
        var aggregator = MetricsAggregator(
            stages: ["mood"], windowsSeconds: [10], startedAt: Fixtures.t0, stageOfResult: ["sentiment": "mood"])
        // 100 events, 20 canaried: 15 agree. Active scores 0.00 ... 0.99; canary scores -0.5 on all.
        for i in 0..<100 {
            aggregator.record(
                event(i, score: Double(i) / 100, canary: i % 5 == 0 ? (-0.5, i < 75) : nil), now: Fixtures.t0)
        }
        // After a promote, a new pair.
        aggregator.record(
            event(100, score: 0.2, canary: (0.3, false), active: "v2", canaryVersion: "v3"), now: Fixtures.t0)

        let snapshot = aggregator.snapshot(windowSeconds: nil, now: Fixtures.t0 + Fixtures.second)
        XCTAssertEqual(snapshot.canaries.count, 2)
        let first = try XCTUnwrap(snapshot.canaries.first)
        XCTAssertEqual(first.stage, "mood")
        XCTAssertEqual(first.activeVersion, "v1")
        XCTAssertEqual(first.canaryVersion, "v2")
        XCTAssertEqual(first.compared, 20)
        XCTAssertEqual(first.agreed, 15)
        XCTAssertEqual(try XCTUnwrap(first.agreement), 0.75, accuracy: 1e-12)
        // Active scores of the canaried events: 0.00, 0.05, ..., 0.95.
        XCTAssertEqual(first.activeScores.count, 20)
        XCTAssertEqual(first.activeScores.mean, 0.475, accuracy: 1e-9)
        XCTAssertEqual(first.activeScores.min, 0)
        XCTAssertEqual(first.activeScores.max, 0.95, accuracy: 1e-12)
        XCTAssertEqual(first.activeScores.p50, 0.45, accuracy: 0.006)
        XCTAssertEqual(first.activeScores.p90, 0.85, accuracy: 0.006)
        XCTAssertEqual(first.canaryScores.mean, -0.5, accuracy: 1e-12)
        XCTAssertEqual(first.canaryScores.p50, -0.5, accuracy: 1e-12)
        XCTAssertEqual(snapshot.canaries[1].activeVersion, "v2")
        XCTAssertEqual(snapshot.canaries[1].compared, 1)
        XCTAssertEqual(snapshot.canaries[1].agreement, 0)

        // JSON, Prometheus text and the table all carry it.
        let json = snapshot.json()
        let canary = try XCTUnwrap(json["canaries"]?.arrayValue?.first)
        XCTAssertEqual(canary["agreement"]?.doubleValue, 0.75)
        XCTAssertEqual(canary["compared"]?.intValue, 20)
        XCTAssertEqual(canary["canary_scores"]?["mean"]?.doubleValue ?? 0, -0.5, accuracy: 1e-12)
        let text = PrometheusText.render(current: snapshot, sinceStart: snapshot)
        XCTAssertTrue(
            text.contains(
                "sluice_canary_agreement_ratio{stage=\"mood\",head_version=\"v1\",canary_version=\"v2\"} 0.75"),
            text)
        XCTAssertTrue(
            text.contains("sluice_canary_events_total{stage=\"mood\",head_version=\"v1\",canary_version=\"v2\"} 20"),
            text)
        XCTAssertTrue(text.contains("head=\"canary\",quantile=\"0.5\"} -0.5"), text)
        let table = MetricsTable.render(snapshot)
        XCTAssertTrue(table.contains("75.0%"), table)
        XCTAssertTrue(table.contains("-0.50"), table)
    }

    func testNoCanaryNoFigures() {
        var aggregator = MetricsAggregator(stages: ["mood"], windowsSeconds: [10], startedAt: Fixtures.t0)
        aggregator.record(event(0, score: 0.1, canary: nil), now: Fixtures.t0)
        let snapshot = aggregator.snapshot(windowSeconds: 10, now: Fixtures.t0 + Fixtures.second)
        XCTAssertTrue(snapshot.canaries.isEmpty)
        XCTAssertEqual(snapshot.json()["canaries"], .array([]))
        XCTAssertFalse(PrometheusText.render(current: snapshot, sinceStart: snapshot).contains("canary"))
    }
}
