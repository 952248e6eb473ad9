import Foundation

/// Topic administration and group-lag queries. Every method is blocking and
/// bounded by its `timeoutMs`; an unreachable broker fails with
/// `.brokerUnreachable`, naming the address tried.
public final class KafkaAdmin: @unchecked Sendable {
    private let config: KafkaConfig
    private let client: RDKafkaClient
    var groupClient: RDKafkaClient { client }
    /// Serves error/log events of the admin handle (see `RDKafkaPollLoop`).
    private let pollLoop: RDKafkaPollLoop

    public init(config: KafkaConfig) throws(KafkaError) {
        self.config = config
        client = try RDKafkaClient(kind: .producer, properties: config.librdkafkaProperties)
        pollLoop = RDKafkaPollLoop(client: client, name: "sluice.kafka.admin.poll")
    }

    deinit { pollLoop.shutdown() }

    /// Creates topics; one that already exists is reported, not thrown.
    public func createTopics(_ topics: [KafkaNewTopic], timeoutMs: Int = 10_000) throws(KafkaError)
        -> [String: KafkaTopicCreation]
    {
        let outcome = try client.createTopics(
            topics.map { ($0.name, $0.partitions, $0.replicationFactor, $0.config) }, timeoutMs: timeoutMs)
        var result: [String: KafkaTopicCreation] = [:]
        for (name, error) in outcome {
            switch error {
            case nil: result[name] = .created
            case let error? where error.code == .topicAlreadyExists: result[name] = .alreadyExists
            case let error?: result[name] = .failed(error)
            }
        }
        return result
    }

    /// Creates one topic unless it exists; throws on any other failure.
    public func ensureTopic(_ topic: KafkaNewTopic, timeoutMs: Int = 10_000) throws(KafkaError) {
        if case .failed(let error) = try createTopics([topic], timeoutMs: timeoutMs)[topic.name] { throw error }
    }

    /// All topics with their partitions, sorted by name.
    public func listTopics(timeoutMs: Int = 10_000) throws(KafkaError) -> [KafkaTopicMetadata] {
        try client.metadata(topic: nil, timeoutMs: timeoutMs)
            .map { KafkaTopicMetadata(name: $0.key, partitions: $0.value.sorted()) }
            .sorted { $0.name < $1.name }
    }

    public func describeTopic(_ name: String, timeoutMs: Int = 10_000) throws(KafkaError) -> KafkaTopicMetadata {
        let partitions = try client.metadata(topic: name, timeoutMs: timeoutMs)[name] ?? []
        return KafkaTopicMetadata(name: name, partitions: partitions.sorted())
    }

    /// (low, high): the first offset still stored and the next offset to be written.
    public func watermarks(topic: String, partition: Int32, timeoutMs: Int = 10_000) throws(KafkaError)
        -> (low: Int64, high: Int64)
    {
        try client.watermarks(topic: topic, partition: partition, timeoutMs: timeoutMs)
    }

    /// The group's committed offsets for every partition of `topic`, read by a
    /// short-lived consumer with that group.id that never subscribes (so it
    /// does not join the group or disturb its members).
    public func committedOffsets(group: String, topic: String, timeoutMs: Int = 10_000) throws(KafkaError)
        -> [Int32: Int64?]
    {
        let partitions = try describeTopic(topic, timeoutMs: timeoutMs).partitions
        let reader = try KafkaConsumer(config: KafkaConsumerConfig(common: config, groupID: group))
        defer { reader.close() }
        let committed = try reader.committed(
            partitions.map { KafkaTopicPartition(topic: topic, partition: $0) }, timeoutMs: timeoutMs)
        var result: [Int32: Int64?] = [:]
        for (key, offset) in committed { result[key.partition] = offset }
        return result
    }

    /// Lag of `group` on each partition of `topic`, sorted by partition.
    public func lag(group: String, topic: String, timeoutMs: Int = 10_000) throws(KafkaError) -> [KafkaPartitionLag] {
        let committed = try committedOffsets(group: group, topic: topic, timeoutMs: timeoutMs)
        var result: [KafkaPartitionLag] = []
        for partition in committed.keys.sorted() {
            let marks = try watermarks(topic: topic, partition: partition, timeoutMs: timeoutMs)
            result.append(
                KafkaPartitionLag(
                    partition: partition, lowWatermark: marks.low, highWatermark: marks.high,
                    committedOffset: committed[partition] ?? nil))
        }
        return result
    }
}
