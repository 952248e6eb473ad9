/// What the monitor reports of one distribution, in microseconds (batch sizes: events).
/// Percentiles come from an HDR histogram with 3 significant digits: exact below 2,048,
/// otherwise the highest value equivalent to the true one within 0.1 %. Count, sum,
/// mean and max are exact.
public struct DistributionSummary: Sendable, Equatable {
    public var count: Int = 0
    public var sum: Int64 = 0
    public var mean: Double = 0
    public var p50: Int64 = 0
    public var p90: Int64 = 0
    public var p99: Int64 = 0
    public var max: Int64 = 0

    public init() {}

    public init(count: Int, sum: Int64, mean: Double, p50: Int64, p90: Int64, p99: Int64, max: Int64) {
        self.count = count
        self.sum = sum
        self.mean = mean
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.max = max
    }
}
