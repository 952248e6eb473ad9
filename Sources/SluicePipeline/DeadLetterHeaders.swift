/// Headers on a dead-letter record. The value is the input record's, unchanged.
public enum DeadLetterHeaders {
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

    static let all: Set<String> = [reason, detail, stage, sourceTopic, sourcePartition, sourceOffset, failedAt]
}
