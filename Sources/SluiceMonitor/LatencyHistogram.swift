import Histogram

/// A distribution of microsecond values: an HDR histogram (3 significant digits, so
/// percentiles are exact below 2,048 µs and within 0.1 % above), plus the exact sum and
/// maximum, which HDR only knows to its bucket precision: means and maxima are exact.
struct LatencyHistogram: WindowValue {
    // UInt32 counts halve the memory of the per-second rings; 4 billion events per
    // second-bucket is out of reach.
    // Its first bucket holds every value below 2,048 at unit resolution (the smallest
    // histogram of 3 digits has it anyway), so only larger values widen it.
    private(set) var histogram = Self.histogram(upTo: 2_047)
    private(set) var sum: Int64 = 0
    private(set) var maxValue: Int64 = 0

    static var empty: LatencyHistogram { LatencyHistogram() }

    var count: Int { Int(histogram.totalCount) }

    /// Records a value; callers clamp negatives (and count them) before this, so a
    /// negative here is a bug upstream and is recorded as 0 rather than trapping.
    mutating func record(_ micros: Int64) {
        let value = Swift.max(0, micros)
        if UInt64(value) > histogram.highestTrackableValue { widen(toCover: UInt64(value)) }
        _ = histogram.record(UInt64(value))
        sum += value
        maxValue = Swift.max(maxValue, value)
    }

    mutating func add(_ other: LatencyHistogram) {
        guard other.count > 0 else { return }
        if other.histogram.maxRecorded > histogram.highestTrackableValue { widen(toCover: other.histogram.maxRecorded) }
        histogram.add(other.histogram)
        sum += other.sum
        maxValue = Swift.max(maxValue, other.maxValue)
    }

    /// Grows the range before a value past it arrives, so that the histogram's own
    /// auto-resize never runs: it appends the new zero counts through generic code that
    /// is not specialised for `UInt32` (it is not inlinable), about a microsecond a
    /// count, and every per-second bucket starts small and grows. In `sluice up` at
    /// saturation (latencies of seconds) that was a third of the process's CPU. A new
    /// histogram of the wider range with the old counts added (`add` is inlinable, so a
    /// specialised loop) costs a few microseconds. Twice the value: a later, slightly
    /// larger value in the same bucket does not grow it again.
    private mutating func widen(toCover value: UInt64) {
        var wider = Self.histogram(upTo: value > UInt64.max / 4 ? UInt64.max / 2 : Swift.max(2_047, value * 2))
        wider.add(histogram)
        histogram = wider
    }

    private static func histogram(upTo highest: UInt64) -> Histogram<UInt32> {
        var histogram = Histogram<UInt32>(
            lowestDiscernibleValue: 1, highestTrackableValue: highest, numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
        return histogram
    }

    func summary() -> DistributionSummary {
        guard count > 0 else { return DistributionSummary() }
        func at(_ percentile: Double) -> Int64 { Int64(histogram.valueAtPercentile(percentile)) }
        return DistributionSummary(
            count: count, sum: sum, mean: Double(sum) / Double(count),
            p50: at(50), p90: at(90), p99: at(99), max: maxValue)
    }
}
