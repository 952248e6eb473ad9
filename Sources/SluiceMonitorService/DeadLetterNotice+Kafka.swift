import SluiceKafka
import SluiceMonitor

/// Header names a stage worker puts on a dead letter (SluicePipeline's
/// `DeadLetterHeaders`, repeated here so the monitor does not link the ML stack;
/// a test checks the two agree).
public enum DeadLetterHeaderNames {
    public static let stage = "sluice_dlq_stage"
    public static let reason = "sluice_dlq_reason"
    public static let failedAt = "sluice_dlq_at"
}

extension DeadLetterNotice {
    /// The notice a dead-letter record carries. A record without a stage header is
    /// counted against stage `unknown`; without a time, at the record's timestamp
    /// (else `fallbackAt`).
    public init(record: KafkaRecord, fallbackAt: Int64) {
        func header(_ name: String) -> String? {
            record.headers.last { $0.key == name }?.value.map { String(decoding: $0, as: UTF8.self) }
        }
        let at = header(DeadLetterHeaderNames.failedAt).flatMap { Int64($0) }
            ?? record.timestampMs.map { $0 * 1_000 } ?? fallbackAt
        self.init(
            stage: header(DeadLetterHeaderNames.stage) ?? "unknown",
            reason: header(DeadLetterHeaderNames.reason) ?? "unknown", at: at)
    }
}
