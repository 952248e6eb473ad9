import Foundation

/// When to restart a worker that exited, and whether it is crash-looping.
///
/// Pure: no clock, no processes; the supervisor passes in how long the worker
/// ran. A worker that dies soon after each start waits longer each time
/// (`initial`, doubling, capped at `maximum`) so a crash on a bad record does
/// not spin the CPU or flood the log; one that ran at least `healthyAfter`
/// seconds counts as healthy again and starts over at `initial`.
public struct RestartBackoff: Sendable, Equatable {
    public let initial: TimeInterval
    public let maximum: TimeInterval
    public let healthyAfter: TimeInterval
    /// Restarts so far (shown on the screen).
    public private(set) var restarts = 0
    /// Exits in a row, each after less than `healthyAfter` s of running.
    public private(set) var consecutiveCrashes = 0

    public init(initial: TimeInterval = 1, maximum: TimeInterval = 30, healthyAfter: TimeInterval = 60) {
        precondition(initial > 0 && maximum >= initial && healthyAfter > 0, "backoff needs 0 < initial <= maximum")
        self.initial = initial
        self.maximum = maximum
        self.healthyAfter = healthyAfter
    }

    /// Records an exit after `ranFor` seconds of running; returns the seconds to wait before the restart.
    public mutating func exited(afterRunning ranFor: TimeInterval) -> TimeInterval {
        if ranFor >= healthyAfter { consecutiveCrashes = 0 }
        // 2^n overflows nothing here: n is capped well before Double runs out.
        let delay = min(maximum, initial * pow(2, Double(min(consecutiveCrashes, 30))))
        consecutiveCrashes += 1
        restarts += 1
        return delay
    }

    /// Two or more quick exits in a row: the screen shows the worker's last error.
    public var isCrashLooping: Bool { consecutiveCrashes >= 2 }
}
