/// What happened to one topic of a `KafkaAdmin.createTopics` call.
public enum KafkaTopicCreation: Sendable, Equatable {
    case created
    /// Not an error for callers that only need the topic to exist.
    case alreadyExists
    case failed(KafkaError)
}
