/// The outcome of one produced record, from librdkafka's delivery-report callback.
public struct KafkaDeliveryReport: Sendable {
    public var topic: String
    public var partition: Int32
    /// The offset the broker assigned, or nil when delivery failed.
    public var offset: Int64?
    /// Set when delivery failed (after librdkafka's own retries).
    public var error: KafkaError?

    public init(topic: String, partition: Int32, offset: Int64?, error: KafkaError?) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.error = error
    }

    public var isDelivered: Bool { error == nil }
}
