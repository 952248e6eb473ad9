/// Consumer-group member settings. Offsets are committed only explicitly
/// (auto commit and auto offset store off): a pipeline commits what it has
/// processed, never what it has merely fetched.
public struct KafkaConsumerConfig: Sendable {
    /// `auto.offset.reset`: where to start when the group has no committed offset.
    public enum OffsetReset: String, Sendable {
        case earliest, latest, error
    }

    /// `isolation.level`
    public enum IsolationLevel: String, Sendable {
        /// Only records of committed transactions (and non-transactional ones).
        case readCommitted = "read_committed"
        case readUncommitted = "read_uncommitted"
    }

    public var common: KafkaConfig
    /// `group.id`
    public var groupID: String
    public var autoOffsetReset: OffsetReset
    public var isolationLevel: IsolationLevel
    /// `session.timeout.ms`
    public var sessionTimeoutMs: Int
    /// `max.poll.interval.ms`: kept low (60 s) because Tansu delayed the first
    /// assignment by over 15 s with librdkafka's 300 s default (docs/tansu-and-librdkafka.md).
    public var maxPollIntervalMs: Int

    public init(
        common: KafkaConfig, groupID: String, autoOffsetReset: OffsetReset = .earliest,
        isolationLevel: IsolationLevel = .readCommitted, sessionTimeoutMs: Int = 10_000,
        maxPollIntervalMs: Int = 60_000
    ) {
        self.common = common
        self.groupID = groupID
        self.autoOffsetReset = autoOffsetReset
        self.isolationLevel = isolationLevel
        self.sessionTimeoutMs = sessionTimeoutMs
        self.maxPollIntervalMs = maxPollIntervalMs
    }

    public var librdkafkaProperties: [String: String] {
        var result: [String: String] = [
            "group.id": groupID,
            "enable.auto.commit": "false",
            "enable.auto.offset.store": "false",
            "auto.offset.reset": autoOffsetReset.rawValue,
            "isolation.level": isolationLevel.rawValue,
            "session.timeout.ms": String(sessionTimeoutMs),
            // librdkafka refuses max.poll.interval.ms < session.timeout.ms.
            "max.poll.interval.ms": String(max(maxPollIntervalMs, sessionTimeoutMs)),
        ]
        result.merge(common.librdkafkaProperties) { _, common in common }
        result.merge(common.properties) { _, passedThrough in passedThrough }
        return result
    }
}
