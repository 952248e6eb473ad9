/// Something that can be kept per time bucket and merged across buckets on read:
/// a sliding window is the merge of the buckets it covers.
protocol WindowValue: Sendable {
    static var empty: Self { get }
    mutating func add(_ other: Self)
}
