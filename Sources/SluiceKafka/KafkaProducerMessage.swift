/// A record to send. `partition == nil` lets librdkafka's partitioner pick
/// (consistent hash of the key, so equal keys share a partition).
public struct KafkaProducerMessage: Sendable, Hashable {
    public var topic: String
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    public var partition: Int32?

    public init(
        topic: String, key: [UInt8]? = nil, value: [UInt8], headers: [KafkaHeader] = [], partition: Int32? = nil
    ) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
        self.partition = partition
    }

    public init(topic: String, key: String, value: [UInt8], headers: [KafkaHeader] = [], partition: Int32? = nil) {
        self.init(topic: topic, key: Array(key.utf8), value: value, headers: headers, partition: partition)
    }
}
