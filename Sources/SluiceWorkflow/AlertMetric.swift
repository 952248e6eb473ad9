/// What an alert rule watches.
public enum AlertMetric: String, Sendable, CaseIterable {
    /// End-to-end latency, 99th percentile over the first window, in milliseconds.
    case p99EndToEndMs = "p99_end_to_end_ms"
    /// Consumer lag in records (of one stage's group, or summed over all stages).
    case lag
    /// Dead letters / (events + dead letters) over the first window, 0...1.
    case deadLetterRate = "dead_letter_rate"
    /// Seconds since a stage last made progress while it had work waiting.
    case stallSeconds = "stall_s"

    /// Whether a rule on this metric may name a stage (p99 end to end is the workflow's).
    public var perStage: Bool { self != .p99EndToEndMs }
}
