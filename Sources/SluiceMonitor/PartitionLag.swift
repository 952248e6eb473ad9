/// One partition's lag: the records between a consumer group's committed offset and
/// the partition's high watermark (the offset the next record will get).
public struct PartitionLag: Sendable, Equatable {
    public var partition: Int32
    public var highWatermark: Int64
    /// nil when the group has committed nothing on this partition yet.
    public var committed: Int64?
    public var lag: Int64

    public init(partition: Int32, highWatermark: Int64, committed: Int64?, lag: Int64) {
        self.partition = partition
        self.highWatermark = highWatermark
        self.committed = committed
        self.lag = lag
    }
}
