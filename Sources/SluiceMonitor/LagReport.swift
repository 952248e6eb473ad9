/// Consumer lag of one stage's group over the partitions of its input topic.
public struct LagReport: Sendable, Equatable {
    /// Lag read from the embedded broker (Tansu) is approximate: the high watermark it
    /// reports can trail the partition's real end by up to one produced batch, so lag
    /// there reads low by up to a batch (and 0 while a batch is still landing). Against
    /// Apache Kafka the high watermark is exact as of the request.
    public static let embeddedBrokerNote =
        "lag on the embedded broker (Tansu) is approximate: its reported high watermark can trail the real end of a partition by up to a batch"

    /// By partition, ascending.
    public var partitions: [PartitionLag]

    public var total: Int64 { partitions.reduce(0) { $0 + $1.lag } }

    /// Sum of the high watermarks: its growth is the rate events arrive on the topic (`InputRate`).
    public var highWatermarkSum: Int64 { partitions.reduce(0) { $0 + $1.highWatermark } }

    /// Sum of the committed offsets: when it grows, the group made progress.
    public var committedSum: Int64 { partitions.reduce(0) { $0 + ($1.committed ?? 0) } }

    public init(partitions: [PartitionLag]) {
        self.partitions = partitions.sorted { $0.partition < $1.partition }
    }

    /// Lag per partition = high watermark - committed offset, clamped at 0 (a commit can
    /// be read after a newer watermark, or the watermark can trail, see the note). A
    /// partition with no committed offset (absent, or negative: librdkafka's
    /// RD_KAFKA_OFFSET_INVALID is -1001) lags by its whole high watermark, as a group
    /// starting from the earliest offset would.
    public static func compute(highWatermarks: [Int32: Int64], committed: [Int32: Int64]) -> LagReport {
        compute(highWatermarks.map { ($0.key, $0.value, committed[$0.key]) })
    }

    /// The same from one (partition, high watermark, committed offset if any) per partition,
    /// as an admin client's lag query answers.
    public static func compute(_ partitions: [(partition: Int32, high: Int64, committed: Int64?)]) -> LagReport {
        LagReport(
            partitions: partitions.map { partition, high, committed in
                let offset = committed.flatMap { $0 >= 0 ? $0 : nil }
                return PartitionLag(
                    partition: partition, highWatermark: high, committed: offset,
                    lag: Swift.max(0, high - (offset ?? 0)))
            })
    }
}
