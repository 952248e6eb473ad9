import SluiceSupervision
import XCTest

/// The restart decision of `sluice up`: delays, the reset after a healthy run, crash-loop detection.
final class RestartBackoffTests: XCTestCase {
    func testQuickCrashesDoubleTheDelayUpToTheCap() {
        var backoff = RestartBackoff(initial: 1, maximum: 30, healthyAfter: 60)
        let delays = (0..<8).map { _ in backoff.exited(afterRunning: 2) }
        XCTAssertEqual(delays, [1, 2, 4, 8, 16, 30, 30, 30])
        XCTAssertEqual(backoff.restarts, 8)
        XCTAssertEqual(backoff.consecutiveCrashes, 8)
    }

    func testAHealthyRunStartsOverAtTheInitialDelay() {
        var backoff = RestartBackoff(initial: 1, maximum: 30, healthyAfter: 60)
        _ = backoff.exited(afterRunning: 1)
        _ = backoff.exited(afterRunning: 1)
        XCTAssertEqual(backoff.exited(afterRunning: 1), 4)
        XCTAssertEqual(backoff.exited(afterRunning: 61), 1, "ran past healthyAfter: back to the first step")
        XCTAssertEqual(backoff.consecutiveCrashes, 1)
        XCTAssertEqual(backoff.restarts, 4, "restarts keep counting across the reset")
        XCTAssertEqual(backoff.exited(afterRunning: 1), 2)
    }

    func testCrashLoopingAfterTwoQuickExitsInARow() {
        var backoff = RestartBackoff()
        XCTAssertFalse(backoff.isCrashLooping)
        _ = backoff.exited(afterRunning: 0.5)
        XCTAssertFalse(backoff.isCrashLooping, "one exit can be a one-off")
        _ = backoff.exited(afterRunning: 0.5)
        XCTAssertTrue(backoff.isCrashLooping)
        _ = backoff.exited(afterRunning: 3_600)
        XCTAssertFalse(backoff.isCrashLooping, "an exit after an hour of work is not a loop")
    }

    func testManyCrashesNeverOverflowTheDelay() {
        var backoff = RestartBackoff(initial: 0.5, maximum: 10, healthyAfter: 5)
        for _ in 0..<2_000 { XCTAssertLessThanOrEqual(backoff.exited(afterRunning: 0), 10) }
        XCTAssertEqual(backoff.exited(afterRunning: 0), 10)
    }
}
