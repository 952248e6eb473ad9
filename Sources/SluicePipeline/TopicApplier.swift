import SluiceKafka
import SluiceWorkflow

/// Creates a workflow's missing topics and reports the ones that exist,
/// including any whose partition count differs from the file (left as they
/// are: Kafka can only add partitions, and adding them moves keys).
public enum TopicApplier {
    public enum Outcome: Sendable, Equatable {
        case created(partitions: Int)
        case exists(partitions: Int)
        case partitionsDiffer(have: Int, want: Int)
    }

    public static func apply(_ topics: [TopicSpec], admin: KafkaAdmin) throws -> [(topic: String, outcome: Outcome)] {
        let existing = Dictionary(
            try admin.listTopics().map { ($0.name, $0.partitions.count) }, uniquingKeysWith: { first, _ in first })
        let missing = topics.filter { existing[$0.name] == nil }
        var created: [String: KafkaTopicCreation] = [:]
        if !missing.isEmpty {
            created = try admin.createTopics(
                missing.map {
                    KafkaNewTopic(
                        name: $0.name, partitions: Int32($0.partitions), replicationFactor: Int32($0.replicationFactor),
                        config: $0.config)
                })
        }
        var results: [(topic: String, outcome: Outcome)] = []
        for topic in topics {
            if let have = existing[topic.name] {
                results.append((topic.name, have == topic.partitions ? .exists(partitions: have)
                    : .partitionsDiffer(have: have, want: topic.partitions)))
                continue
            }
            switch created[topic.name] {
            case .failed(let error)?:
                throw PipelineError("could not create topic '\(topic.name)': \(error)")
            default:
                results.append((topic.name, .created(partitions: topic.partitions)))
            }
        }
        return results
    }
}
