import Foundation
import SluiceSupervision
import XCTest

/// The autoscaler's rules, one observation a second: up after the advice held 3 s, down
/// after it stayed lower for the cooldown (to the highest advice seen meanwhile), within
/// the bounds, and never two changes inside a cooldown on the way down.
final class StageAutoscalerTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    /// Feeds one advice a second from `start`, applying each decision; returns them.
    private func run(
        _ scaler: inout StageAutoscaler, advice: [Int?], current: inout Int, start: TimeInterval = 0
    ) -> [(second: Int, to: Int)] {
        var decisions: [(Int, Int)] = []
        for (second, value) in advice.enumerated() {
            let now = t0.addingTimeInterval(start + Double(second))
            if let decision = scaler.observe(advice: value, current: current, now: now, reason: "test") {
                XCTAssertEqual(decision.from, current)
                decisions.append((second, decision.to))
                current = decision.to
            }
        }
        return decisions
    }

    func testUpOnlyAfterTheAdviceHeldAndStraightToIt() {
        var scaler = StageAutoscaler(stage: "s", min: 1, max: 4, cooldownSeconds: 10)
        var current = 1
        // One second of 3 is noise; above 1 again from second 3 (a 2, then 3s): up at second 6, to 3.
        let decisions = run(&scaler, advice: [1, 3, 1, 2, 3, 3, 3, 3, 3], current: &current)
        XCTAssertEqual(decisions.map(\.second), [6])
        XCTAssertEqual(decisions.map(\.to), [3])
    }

    func testDownAfterTheCooldownToTheHighestAdviceSeenMeanwhile() {
        var scaler = StageAutoscaler(stage: "s", min: 1, max: 4, cooldownSeconds: 10)
        var current = 3
        // Below 3 from second 0: 1, with one 2 among them; down at second 10 to 2, not 1.
        var advice: [Int?] = Array(repeating: 1, count: 12)
        advice[4] = 2
        let first = run(&scaler, advice: advice, current: &current)
        XCTAssertEqual(first.map(\.second), [10])
        XCTAssertEqual(first.map(\.to), [2])
        // Still 1: the next step waits a full cooldown after the last change.
        let second = run(&scaler, advice: Array(repeating: 1, count: 12), current: &current, start: 12)
        // Below 2 since second 11 (the first reading after the change): held 10 s at second 21.
        XCTAssertEqual(second.map { $0.second + 12 }, [21])
        XCTAssertEqual(current, 1)
    }

    func testADipShorterThanTheCooldownStopsNobody() {
        var scaler = StageAutoscaler(stage: "s", min: 1, max: 4, cooldownSeconds: 10)
        var current = 3
        let advice: [Int?] = Array(repeating: 1, count: 8) + [3] + Array(repeating: 1, count: 8)
        XCTAssertTrue(run(&scaler, advice: advice, current: &current).isEmpty, "the 3 restarted the cooldown")
        XCTAssertEqual(current, 3)
    }

    func testBoundsCapTheAdviceAndNoAdviceKeepsTheCount() {
        var scaler = StageAutoscaler(stage: "s", min: 2, max: 4, cooldownSeconds: 5)
        var current = 2
        // Advice 9 on a 4-partition input: 4, never more.
        XCTAssertEqual(run(&scaler, advice: Array(repeating: 9, count: 5), current: &current).map(\.to), [4])
        // No advice (the monitor has not measured the stage): nothing changes.
        XCTAssertTrue(run(&scaler, advice: Array(repeating: nil, count: 30), current: &current, start: 5).isEmpty)
        // Advice 1 comes down to min 2, not 1.
        XCTAssertEqual(run(&scaler, advice: Array(repeating: 1, count: 8), current: &current, start: 35).map(\.to), [2])
        // A count outside the bounds (the user's --replicas) is brought into them even without advice.
        var outside = 6
        XCTAssertEqual(run(&scaler, advice: [nil], current: &outside, start: 50).map(\.to), [4])
    }

    /// With no idle core for another worker the advice waits; with room for one, one is added.
    func testTheCeilingHoldsTheWayUpUntilThereIsRoom() {
        var scaler = StageAutoscaler(stage: "s", min: 1, max: 4, cooldownSeconds: 10)
        var decisions: [Int] = []
        var current = 1
        for second in 0..<12 {
            let ceiling = second < 6 ? current : current + 1  // no room for 6 s, then room for one
            if let decision = scaler.observe(
                advice: 3, current: current, now: t0.addingTimeInterval(Double(second)), ceiling: ceiling,
                reason: "test")
            {
                decisions.append(decision.to)
                current = decision.to
            }
        }
        // Held since second 0: at second 6 room for one (1 -> 2); then 3 s more held: 2 -> 3 at second 9.
        XCTAssertEqual(decisions, [2, 3])
    }

    func testIdleCoresFromProcStat() throws {
        var idle = IdleCores(spanSeconds: 5, cores: 2)
        let t0 = Date(timeIntervalSince1970: 0)
        XCTAssertNil(idle.observe(statLine: "cpu  100 0 100 800 0 0 0 0 0 0", at: t0), "one sample")
        // 1000 more ticks, 250 of them idle or iowait: a quarter of 2 cores.
        let quarter = idle.observe(statLine: "cpu  500 0 300 1000 50 0 0 150 0 0", at: t0.addingTimeInterval(1))
        XCTAssertEqual(try XCTUnwrap(quarter), 0.5, accuracy: 1e-9)
        var other = IdleCores()
        XCTAssertNil(other.observe(statLine: "intr 1 2 3", at: t0), "not a cpu line")
    }
}
