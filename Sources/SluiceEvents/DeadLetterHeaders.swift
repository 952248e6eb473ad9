/// Headers on a dead-letter record. The value is the input record's, unchanged.
/// The worker writes them, the monitor and the gateway read them, `sluice dlq`
/// filters on them: one list, here, so the writers and readers cannot drift apart.
public enum DeadLetterHeaders {
    /// Every dead-letter header but `attempts` starts with it; replay drops them all,
    /// also ones a later version may add.
    public static let prefix = "sluice_dlq_"
    /// Machine-readable reason (`invalid-json`, `missing-text`, `stage-error`, ...).
    public static let reason = "sluice_dlq_reason"
    /// What exactly was wrong, for people.
    public static let detail = "sluice_dlq_detail"
    public static let stage = "sluice_dlq_stage"
    public static let sourceTopic = "sluice_dlq_topic"
    public static let sourcePartition = "sluice_dlq_partition"
    public static let sourceOffset = "sluice_dlq_offset"
    /// Epoch microseconds when the record was dead-lettered.
    public static let failedAt = "sluice_dlq_at"
    /// How many times the record has been replayed (carried through later failures).
    public static let attempts = "sluice_attempts"
    /// On a `truncated` dead letter: why the record failed in the first place.
    public static let originalReason = "sluice_dlq_original_reason"
    /// On a `truncated` dead letter: hex SHA-256 of the whole input value.
    public static let originalSHA256 = "sluice_dlq_original_sha256"
    /// On a `truncated` dead letter: the size of the whole input value, in bytes.
    public static let originalBytes = "sluice_dlq_original_bytes"

    /// The headers a worker replaces when it dead-letters a record again.
    public static let all: Set<String> = [
        reason, detail, stage, sourceTopic, sourcePartition, sourceOffset, failedAt, originalReason, originalSHA256,
        originalBytes,
    ]
}

/// Dead-letter reasons the worker itself gives (decode and stage reasons come from their errors).
/// (They are values of the `reason` header, so they belong with it.)
public enum DeadLetterReason {
    /// The stage's own code threw on the record (or on its whole batch): the detail is
    /// that error's text, for the operator (`sluice dlq`), not for the event's sender.
    public static let stageError = "stage-error"
    /// The stage's output would be over the producer's `message.max.bytes`.
    public static let outputTooLarge = "output-too-large"
    /// The dead letter itself was over the limit: its value holds the first bytes only.
    public static let truncated = "truncated"
}
