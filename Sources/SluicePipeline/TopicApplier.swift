import SluiceKafka
import SluiceWorkflow

/// Creates a workflow's missing topics and reports the ones that exist,
/// including any whose partition count differs from the file. Nothing is ever
/// deleted or altered: Kafka can only add partitions, and adding them remaps keys.
public enum TopicApplier {
    public enum Outcome: Sendable, Equatable, CustomStringConvertible {
        case created(partitions: Int)
        case exists(partitions: Int)
        case partitionsDiffer(have: Int, want: Int)
        case failed(String)

        public var description: String {
            switch self {
            case .created(let n): return "created (\(n) partition\(n == 1 ? "" : "s"))"
            case .exists(let n): return "exists (\(n) partition\(n == 1 ? "" : "s"))"
            case .partitionsDiffer(let have, let want):
                return "exists with \(have) partitions where the file wants \(want); not changed"
            case .failed(let reason): return "failed: \(reason)"
            }
        }
    }

    public static func apply(_ topics: [TopicSpec], admin: KafkaAdmin) throws -> [(topic: String, outcome: Outcome)] {
        var existing: [String: Int] = [:]
        for topic in try admin.listTopics() { existing[topic.name] = topic.partitionCount }
        let missing = topics.filter { existing[$0.name] == nil }
        let created =
            missing.isEmpty
            ? [:]
            : try admin.createTopics(
                missing.map {
                    KafkaNewTopic(
                        name: $0.name, partitions: Int32($0.partitions), replicationFactor: Int32($0.replicationFactor),
                        config: $0.config)
                })
        var results: [(topic: String, outcome: Outcome)] = []
        for topic in topics {
            var have = existing[topic.name]
            switch created[topic.name] {
            case .created?:
                results.append((topic.name, .created(partitions: topic.partitions)))
                continue
            case .failed(let error)?:
                results.append((topic.name, .failed("\(error)")))
                continue
            case .alreadyExists?:  // created by someone else since the listing
                have = try admin.describeTopic(topic.name).partitionCount
            case nil:
                break
            }
            let count = have ?? 0
            results.append(
                (
                    topic.name,
                    count == topic.partitions
                        ? .exists(partitions: count) : .partitionsDiffer(have: count, want: topic.partitions)
                ))
        }
        return results
    }
}
