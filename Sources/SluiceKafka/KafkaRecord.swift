/// A record read by `KafkaConsumer.poll`, copied out of librdkafka's buffers.
public struct KafkaRecord: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    /// Milliseconds since the epoch, or nil when the broker gave none.
    public var timestampMs: Int64?
    /// How many rebalance events (assign, revoke or lost) the consumer had served
    /// when poll returned this record. A record whose partition was revoked at a
    /// later epoch was fetched under an assignment that is gone: see
    /// `KafkaConsumer.setRebalanceHandler`.
    public var rebalanceEpoch: UInt64

    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8],
        headers: [KafkaHeader], timestampMs: Int64?, rebalanceEpoch: UInt64 = 0
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMs = timestampMs
        self.rebalanceEpoch = rebalanceEpoch
    }

    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }

    /// The offset to commit once this record is processed: the next one to read.
    public var nextOffset: KafkaTopicPartitionOffset {
        KafkaTopicPartitionOffset(topic: topic, partition: partition, offset: offset + 1)
    }
}
