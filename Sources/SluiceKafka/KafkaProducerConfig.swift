/// Producer settings with defaults meant for a pipeline: idempotent (no
/// duplicates or reordering from librdkafka's own retries) and a short linger
/// that batches without adding visible latency.
public struct KafkaProducerConfig: Sendable {
    public var common: KafkaConfig
    /// `enable.idempotence`
    public var enableIdempotence: Bool
    /// `linger.ms`
    public var lingerMs: Int
    /// `message.timeout.ms`: a record not delivered within this time gets a
    /// failed delivery report, which bounds how long an unreachable broker hides.
    public var messageTimeoutMs: Int
    /// `transactional.id`: set it to use the transaction methods.
    public var transactionalID: String?
    /// `queue.buffering.max.messages`: beyond this, sends fail with `.queueFull`.
    public var maxQueuedMessages: Int

    public init(
        common: KafkaConfig, enableIdempotence: Bool = true, lingerMs: Int = 5, messageTimeoutMs: Int = 30_000,
        transactionalID: String? = nil, maxQueuedMessages: Int = 100_000
    ) {
        self.common = common
        self.enableIdempotence = enableIdempotence
        self.lingerMs = lingerMs
        self.messageTimeoutMs = messageTimeoutMs
        self.transactionalID = transactionalID
        self.maxQueuedMessages = maxQueuedMessages
    }

    public var librdkafkaProperties: [String: String] {
        var result: [String: String] = [
            "enable.idempotence": enableIdempotence ? "true" : "false",
            "linger.ms": String(lingerMs),
            "message.timeout.ms": String(messageTimeoutMs),
            "queue.buffering.max.messages": String(maxQueuedMessages),
        ]
        if let transactionalID { result["transactional.id"] = transactionalID }
        result.merge(common.librdkafkaProperties) { _, common in common }
        // The pass-through map wins over every field.
        result.merge(common.properties) { _, passedThrough in passedThrough }
        return result
    }
}
