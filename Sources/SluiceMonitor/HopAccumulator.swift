/// The running delay figures of one hop (`input->features`, `features->topics`, ...).
struct HopAccumulator: Sendable {
    var delay: Windowed<LatencyHistogram>
    var negativeClamped: Windowed<Tally>

    init(bucketMicros: Int64, buckets: Int) {
        delay = Windowed(bucketMicros: bucketMicros, buckets: buckets)
        negativeClamped = Windowed(bucketMicros: bucketMicros, buckets: buckets)
    }

    /// Records `to - from`; a negative delay can only be clock skew between machines,
    /// so it is recorded as 0 and counted, never reported as a number.
    mutating func record(from: Int64, to: Int64) {
        let delta = to - from
        delay.update(at: to) { $0.record(Swift.max(0, delta)) }
        if delta < 0 { negativeClamped.update(at: to) { $0.record() } }
    }
}
