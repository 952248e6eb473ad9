/// Figures from `KafkaThroughputBenchmark.run`.
public struct KafkaThroughputResult: Sendable, CustomStringConvertible {
    public var records: Int
    public var recordSize: Int
    public var partitions: Int32
    /// From the first enqueue until the last delivery report (flush returned).
    public var produceSeconds: Double
    /// From the first record polled to the last; the group join before it is `consumerJoinSeconds`.
    public var consumeSeconds: Double
    /// Subscribe until the first record arrived (Tansu's initial rebalance delay is ~3 s).
    public var consumerJoinSeconds: Double
    public var duplicatesConsumed: Int

    public var produceRecordsPerSecond: Double { Double(records) / max(produceSeconds, 1e-9) }
    public var consumeRecordsPerSecond: Double { Double(records) / max(consumeSeconds, 1e-9) }

    public var description: String {
        let produce = Int(produceRecordsPerSecond.rounded())
        let consume = Int(consumeRecordsPerSecond.rounded())
        return "kafka: \(records) records x \(recordSize) B over \(partitions) partitions: "
            + "produce \(produce) records/s, consume \(consume) records/s "
            + "(group join \(String(format: "%.1f", consumerJoinSeconds)) s, \(duplicatesConsumed) duplicates)"
    }
}
