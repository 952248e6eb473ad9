import SluiceEvents
import SluiceMonitor
import SluiceWorkflow
import XCTest

final class TrendAggregatorTests: XCTestCase {
    /// A whole minute, so 60 s windows start on it.
    let base: Int64 = 1_700_000_040_000_000
    let minute: Int64 = 60_000_000

    private func feed(_ trends: inout TrendAggregator, window: Int64, label: String, count: Int, negatives: Int) {
        for i in 0..<count {
            trends.record(
                Fixtures.scored(
                    label: label, negative: i < negatives, producedAt: base + window * minute + Int64(i) * 1_000))
        }
    }

    private func close(_ trends: inout TrendAggregator, window: Int64) -> TrendUpdate {
        trends.advance(now: base + (window + 1) * minute + 5_000_000)
    }

    func testWindowFiguresPerLabelAndOverall() {
        var trends = TrendAggregator(windowSeconds: 60)
        feed(&trends, window: 0, label: "markets", count: 4, negatives: 1)
        feed(&trends, window: 0, label: "sports", count: 1, negatives: 0)
        var unscored = Fixtures.single(created: base, process: 10)
        unscored.results = [:]
        trends.record(unscored)
        XCTAssertEqual(trends.advance(now: base + minute + 4_999_999).windows, [], "lateness not yet passed")
        let windows = close(&trends, window: 0).windows
        XCTAssertEqual(windows.map(\.label), ["markets", "sports", nil])
        XCTAssertEqual(windows[0].count, 4)
        XCTAssertEqual(windows[0].negativeShare, 0.25)
        XCTAssertEqual(windows[0].positiveShare, 0.75)
        XCTAssertEqual(windows[0].meanScore, (-0.75 + 3 * 0.5) / 4, accuracy: 1e-12)
        XCTAssertEqual(windows[2].count, 5)
        XCTAssertEqual(windows[2].negativeShare, 0.2)
        XCTAssertEqual(windows[0].start, base)
        XCTAssertEqual(windows[0].end, base + minute)
        XCTAssertEqual(trends.unscored, 1)
        // A straggler for the closed window is dropped and counted.
        trends.record(Fixtures.scored(label: "markets", negative: true, producedAt: base + 10))
        XCTAssertEqual(trends.lateDropped, 1)
    }

    /// Five windows at 10 % negative, then one at 50 %: z = (0.5 - 0.1) / 0.05 (std floor)
    /// = 8 ≥ 3, fires once; back to 10 % clears once. A steady label never alerts.
    func testNegativeShareSurgeFiresOnceAndClearsOnce() {
        var spec = SurgeSpec()
        spec.z = 3
        spec.baselineWindows = 12
        spec.minCount = 20
        spec.minBaselineWindows = 3
        var trends = TrendAggregator(windowSeconds: 60, surge: spec)
        var transitions: [AlertTransition] = []
        for window in Int64(0)..<5 {
            feed(&trends, window: window, label: "markets", count: 20, negatives: 2)
            feed(&trends, window: window, label: "sports", count: 20, negatives: 2)
            transitions += close(&trends, window: window).transitions
        }
        XCTAssertEqual(transitions, [])
        feed(&trends, window: 5, label: "markets", count: 20, negatives: 10)
        feed(&trends, window: 5, label: "sports", count: 20, negatives: 2)
        let surge = close(&trends, window: 5).transitions
        XCTAssertEqual(surge.count, 1)
        XCTAssertEqual(surge.first?.rule, "negative-surge:markets")
        XCTAssertEqual(surge.first?.state, .firing)
        XCTAssertEqual(surge.first?.value ?? 0, 8, accuracy: 1e-9)
        XCTAssertEqual(surge.first?.at, base + 6 * minute)

        feed(&trends, window: 6, label: "markets", count: 20, negatives: 2)
        feed(&trends, window: 6, label: "sports", count: 20, negatives: 2)
        let cleared = close(&trends, window: 6).transitions
        XCTAssertEqual(cleared.map(\.rule), ["negative-surge:markets"])
        XCTAssertEqual(cleared.map(\.state), [.resolved])
        feed(&trends, window: 7, label: "markets", count: 20, negatives: 2)
        XCTAssertEqual(close(&trends, window: 7).transitions, [])
    }

    /// Too few posts in the window, or too short a baseline: no verdict either way.
    func testSurgeNeedsMinCountAndBaseline() {
        var spec = SurgeSpec()
        spec.minCount = 20
        spec.minBaselineWindows = 3
        var trends = TrendAggregator(windowSeconds: 60, surge: spec)
        feed(&trends, window: 0, label: "travel", count: 20, negatives: 0)
        feed(&trends, window: 1, label: "travel", count: 20, negatives: 20)  // only 1 baseline window
        XCTAssertEqual(trends.advance(now: base + 2 * minute + 5_000_000).transitions, [])
        feed(&trends, window: 2, label: "travel", count: 20, negatives: 0)
        feed(&trends, window: 3, label: "travel", count: 19, negatives: 19)  // below min_count
        XCTAssertEqual(trends.advance(now: base + 4 * minute + 5_000_000).transitions, [])
    }
}
