/// How far a group is behind on one partition.
public struct KafkaPartitionLag: Sendable, Hashable {
    public var partition: Int32
    public var lowWatermark: Int64
    public var highWatermark: Int64
    /// nil when the group has committed nothing here.
    public var committedOffset: Int64?

    public init(partition: Int32, lowWatermark: Int64, highWatermark: Int64, committedOffset: Int64?) {
        self.partition = partition
        self.lowWatermark = lowWatermark
        self.highWatermark = highWatermark
        self.committedOffset = committedOffset
    }

    /// high watermark - committed (the low watermark when nothing is committed),
    /// clamped at 0. On Tansu the high watermark can trail the real end by up
    /// to one batch, so this is approximate there; exact on Apache Kafka.
    public var lag: Int64 { max(0, highWatermark - (committedOffset ?? lowWatermark)) }
}
