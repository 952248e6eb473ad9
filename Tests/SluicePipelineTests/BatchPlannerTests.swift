import SluicePipeline
import XCTest

/// The planner's decisions from known figures: no broker, no clock.
final class BatchPlannerTests: XCTestCase {
    /// Batches of `sizes`, each costing fixed + perRecord x n ms, their records produced at
    /// `perSecond` (so a batch of n has its newest record n / perSecond after the last one's).
    private func planner(
        goal: Int?, wait: Int = 50, max: Int = 64, fixed: Double, perRecord: Double, perSecond: Double,
        sizes: [Int] = [1, 4, 16, 8, 2, 32]
    ) -> BatchPlanner {
        var planner = BatchPlanner(maxSize: max, waitMs: wait, latencyGoalMs: goal)
        var clock: Int64 = 1_000_000
        for size in sizes {
            clock += Int64(Double(size) * 1_000 / perSecond)
            planner.batchDone(count: size, newestTimestampMs: clock, costMs: fixed + perRecord * Double(size))
        }
        return planner
    }

    func testFixedWaitWaitsForAFullBatchWhateverTheLoad() {
        let idle = planner(goal: nil, wait: 50, fixed: 1, perRecord: 0.1, perSecond: 1)
        XCTAssertEqual(idle.remainingWaitMs(count: 1, waitedMs: 10), 40)
        XCTAssertEqual(idle.remainingWaitMs(count: 64, waitedMs: 0), 0, "a full batch goes at once")
        XCTAssertEqual(idle.remainingWaitMs(count: 1, waitedMs: 60), 0)
    }

    func testCostLineIsRecoveredFromVariedBatches() {
        let fitted = planner(goal: 50, fixed: 3, perRecord: 0.5, perSecond: 10)
        XCTAssertEqual(fitted.predictedCostMs(1), 3.5, accuracy: 0.01)
        XCTAssertEqual(fitted.predictedCostMs(40), 23, accuracy: 0.01)
    }

    /// Spare capacity: a lone record runs at once instead of waiting out wait_ms.
    func testIdleStageRunsALoneRecordAtOnce() {
        let idle = planner(goal: 50, fixed: 3, perRecord: 0.5, perSecond: 1)
        XCTAssertEqual(idle.keepUpSize, 1)
        XCTAssertEqual(idle.remainingWaitMs(count: 1, waitedMs: 0, oldestAgeMs: 1), 0)
    }

    /// Busier: one record per cycle no longer keeps up with the fixed cost per batch, so it waits
    /// for the keep-up size, but never past the goal minus the predicted cycle.
    func testLoadedStageWaitsForTheKeepUpSizeWithinTheGoal() {
        // 1 record per ms; a batch costs 20 + 0.5 n ms: n >= 20 + 0.5 n, so n = 40.
        let loaded = planner(goal: 80, wait: 200, fixed: 20, perRecord: 0.5, perSecond: 1_000)
        XCTAssertEqual(loaded.arrivalRate, 1_000, accuracy: 0.01)
        XCTAssertEqual(loaded.keepUpSize, 40)
        XCTAssertEqual(loaded.remainingWaitMs(count: 1, waitedMs: 5, oldestAgeMs: 6), 80 - 40 - 5, accuracy: 0.01)
        XCTAssertEqual(loaded.remainingWaitMs(count: 40, waitedMs: 5, oldestAgeMs: 6), 0, "has its keep-up size")
        let capped = planner(goal: 80, wait: 10, fixed: 20, perRecord: 0.5, perSecond: 1_000)
        XCTAssertEqual(capped.remainingWaitMs(count: 1, waitedMs: 5, oldestAgeMs: 6), 5, "wait_ms caps it")
        let tight = planner(goal: 30, wait: 200, fixed: 20, perRecord: 0.5, perSecond: 1_000)
        XCTAssertEqual(tight.remainingWaitMs(count: 1, waitedMs: 5, oldestAgeMs: 6), 0, "the goal leaves no wait")
    }

    /// A step slower than the stream wants whole batches; a record older than the goal waits no
    /// more (its batch is what the consumer has fetched already, up to max).
    func testOverloadedOrLateStageWaitsNoMore() {
        let overloaded = planner(goal: 50, fixed: 1, perRecord: 2, perSecond: 1_000)
        XCTAssertEqual(overloaded.keepUpSize, 64)
        let loaded = planner(goal: 80, wait: 200, fixed: 20, perRecord: 0.5, perSecond: 1_000)
        XCTAssertGreaterThan(loaded.remainingWaitMs(count: 1, waitedMs: 0, oldestAgeMs: 10), 0)
        XCTAssertEqual(loaded.remainingWaitMs(count: 1, waitedMs: 0, oldestAgeMs: 80), 0, "late: no more waiting")
        let fixed = planner(goal: nil, wait: 50, fixed: 3, perRecord: 0.5, perSecond: 1)
        XCTAssertEqual(fixed.remainingWaitMs(count: 3, waitedMs: 2, oldestAgeMs: 400), 48, "a fixed wait ignores age")
    }
}
