import Foundation

/// One change of a stage's worker count, with what caused it.
public struct ScalingDecision: Sendable, Equatable {
    public let stage: String
    public let from: Int
    public let to: Int
    public let at: Date
    /// The figures behind the advice, e.g. "input 91.0 ev/s x 20.4 ms / 0.7 = 2.65: 3 replicas".
    public let reason: String

    public init(stage: String, from: Int, to: Int, at: Date, reason: String) {
        self.stage = stage
        self.from = from
        self.to = to
        self.at = at
        self.reason = reason
    }

    public var summary: String { "stage \(stage): \(from) -> \(to) workers (\(reason))" }
}

/// Turns a stage's replica advice, observed about once a second, into worker counts
/// that do not flap.
///
/// - The target is the advice kept within `min...max` (`max` already capped at the
///   partition count by the caller).
/// - Up: once the target has stayed above the count for `upHoldSeconds` (one noisy
///   reading does not start a worker). No cooldown: a stage short of workers falls
///   further behind every second it waits.
/// - Down: once the target has stayed below the count for `cooldownSeconds`, and no
///   sooner than `cooldownSeconds` after the last change. It goes to the highest target
///   seen while below (the stabilisation window of Kubernetes' autoscaler), so a dip
///   of a few seconds inside a busy period stops nobody.
/// - No advice (the monitor has not measured the stage yet): the count stays, but is
///   brought into `min...max`.
/// - `ceiling`, when given, caps the way up for now (the machine has no idle core for
///   another worker, see `IdleCores`); the advice above it keeps waiting as if held.
public struct StageAutoscaler: Sendable {
    public let stage: String
    public let min: Int
    public let max: Int
    public let cooldownSeconds: TimeInterval
    public let upHoldSeconds: TimeInterval
    private var lastChange: Date?
    private var aboveSince: Date?
    private var belowSince: Date?
    private var belowPeak = 0

    public init(stage: String, min: Int, max: Int, cooldownSeconds: TimeInterval, upHoldSeconds: TimeInterval = 3) {
        precondition(min >= 1 && max >= min, "autoscale bounds must be 1 <= min <= max")
        self.stage = stage
        self.min = min
        self.max = max
        self.cooldownSeconds = cooldownSeconds
        self.upHoldSeconds = upHoldSeconds
    }

    /// The count to move to now, or nil to stay. `reason` explains the advice (for the decision).
    public mutating func observe(
        advice: Int?, current: Int, now: Date, ceiling: Int? = nil, reason: @autoclosure () -> String
    ) -> ScalingDecision? {
        guard let advice else {
            let bounded = Swift.min(max, Swift.max(min, current))
            return bounded == current ? nil : change(from: current, to: bounded, now: now, reason: "autoscale bounds")
        }
        let target = bounded(advice)
        if target > current {
            belowSince = nil
            let since = aboveSince ?? now
            aboveSince = since
            let allowed = Swift.min(target, Swift.max(current, ceiling ?? target))
            guard now.timeIntervalSince(since) >= upHoldSeconds, allowed > current else { return nil }
            return change(from: current, to: allowed, now: now, reason: reason())
        }
        aboveSince = nil
        guard target < current else {
            belowSince = nil
            return nil
        }
        if belowSince == nil { belowPeak = 0 }
        let since = belowSince ?? now
        belowSince = since
        belowPeak = Swift.max(belowPeak, target)
        let quiet = lastChange.map { now.timeIntervalSince($0) >= cooldownSeconds } ?? true
        guard now.timeIntervalSince(since) >= cooldownSeconds, quiet else { return nil }
        return change(
            from: current, to: belowPeak, now: now,
            reason: "\(reason()); below \(current) for \(Int(now.timeIntervalSince(since))) s")
    }

    /// The advice kept within `min...max`.
    public func bounded(_ advice: Int) -> Int { Swift.min(max, Swift.max(min, advice)) }

    private mutating func change(from: Int, to: Int, now: Date, reason: String) -> ScalingDecision {
        lastChange = now
        aboveSince = nil
        belowSince = nil
        return ScalingDecision(stage: stage, from: from, to: to, at: now, reason: reason)
    }
}
