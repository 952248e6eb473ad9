import Histogram

/// A distribution of microsecond values: an HDR histogram (3 significant digits, so
/// percentiles are exact below 2,048 µs and within 0.1 % above), plus the exact sum and
/// maximum, which HDR only knows to its bucket precision: means and maxima are exact.
struct LatencyHistogram: WindowValue {
    // UInt32 counts halve the memory of the per-second rings; 4 billion events per
    // second-bucket is out of reach.
    private(set) var histogram = Histogram<UInt32>(numberOfSignificantValueDigits: .three)
    private(set) var sum: Int64 = 0
    private(set) var maxValue: Int64 = 0

    static var empty: LatencyHistogram { LatencyHistogram() }

    var count: Int { Int(histogram.totalCount) }

    /// Records a value; callers clamp negatives (and count them) before this, so a
    /// negative here is a bug upstream and is recorded as 0 rather than trapping.
    mutating func record(_ micros: Int64) {
        let value = Swift.max(0, micros)
        _ = histogram.record(UInt64(value))
        sum += value
        maxValue = Swift.max(maxValue, value)
    }

    mutating func add(_ other: LatencyHistogram) {
        guard other.count > 0 else { return }
        histogram.add(other.histogram)
        sum += other.sum
        maxValue = Swift.max(maxValue, other.maxValue)
    }

    func summary() -> DistributionSummary {
        guard count > 0 else { return DistributionSummary() }
        func at(_ percentile: Double) -> Int64 { Int64(histogram.valueAtPercentile(percentile)) }
        return DistributionSummary(
            count: count, sum: sum, mean: Double(sum) / Double(count),
            p50: at(50), p90: at(90), p99: at(99), max: maxValue)
    }
}
