import SluiceEvents
import SluiceKafka
import SluiceMonitor

extension DeadLetterNotice {
    /// The notice a dead-letter record carries. A record without a stage header is
    /// counted against stage `unknown`; without a time, at the record's timestamp
    /// (else `fallbackAt`).
    public init(record: KafkaRecord, fallbackAt: Int64) {
        func header(_ name: String) -> String? {
            HeaderLookup.text(name, in: record.headers, key: \.key, value: \.value)
        }
        let at =
            header(DeadLetterHeaders.failedAt).flatMap { Int64($0) }
            ?? record.timestampMs.map { $0 * 1_000 } ?? fallbackAt
        self.init(
            stage: header(DeadLetterHeaders.stage) ?? "unknown",
            reason: header(DeadLetterHeaders.reason) ?? "unknown", at: at)
    }
}
