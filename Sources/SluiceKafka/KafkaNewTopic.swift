/// A topic to create with `KafkaAdmin.createTopics`.
public struct KafkaNewTopic: Sendable, Hashable {
    public var name: String
    public var partitions: Int32
    public var replicationFactor: Int32
    /// Topic configs, e.g. ["retention.ms": "60000"].
    public var config: [String: String]

    public init(name: String, partitions: Int32 = 1, replicationFactor: Int32 = 1, config: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.config = config
    }
}
