/// One topic a workflow needs: how many partitions, and any topic configuration
/// (`retention.ms`, `cleanup.policy`, ...) passed to the broker as given.
public struct TopicSpec: Sendable, Equatable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int
    public var config: [String: String]

    public init(name: String, partitions: Int, replicationFactor: Int = 1, config: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.config = config
    }
}

extension TopicSpec {
    static func parse(name: String, field: YAMLField) throws(WorkflowError) -> TopicSpec {
        var topic = TopicSpec(name: name, partitions: 1)
        for (key, value) in try field.mapping(allowed: ["partitions", "replication_factor", "config"]) {
            switch key {
            case "partitions": topic.partitions = try value.int(atLeast: 1)
            case "replication_factor": topic.replicationFactor = try value.int(atLeast: 1)
            default: topic.config = try value.stringMap()
            }
        }
        return topic
    }
}
