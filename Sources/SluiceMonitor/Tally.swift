/// A count and a sum: events in a bucket, or ratios to average (efficiency).
struct Tally: WindowValue, Equatable {
    var count: Int64 = 0
    var sum: Double = 0

    static var empty: Tally { Tally() }

    mutating func add(_ other: Tally) {
        count += other.count
        sum += other.sum
    }

    mutating func record(_ value: Double = 1) {
        count += 1
        sum += value
    }

    /// Mean of the recorded values, nil with nothing recorded (rather than a made-up 0).
    var mean: Double? { count > 0 ? sum / Double(count) : nil }
}
