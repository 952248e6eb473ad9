import Foundation
import SluiceBroker
import SluiceKafka

/// Keeps the embedded broker's memory in bounds the only way Tansu 0.6 allows.
///
/// Its memory engine keeps every record: it stores retention.ms / retention.bytes /
/// segment.* but never applies them, and DeleteRecords is unimplemented (the request
/// panics Tansu's handler). So memory grows with every event (15-20 KB per event
/// through the shipped workflow, docs/embedded-broker-memory.md). Once the broker's
/// resident memory passes `limitBytes`, the guard says so and the caller stops the feed:
/// the workers drain what is there, the view stays up, and growth stops.
struct BrokerMemoryGuard {
    let broker: EmbeddedBroker
    /// nil: no limit.
    let limitBytes: Int?
    private(set) var tripped = false

    /// The line `sluice up` prints at start.
    var announcement: String {
        let limit =
            limitBytes.map { "at \($0 / 1_000_000) MB of broker memory the feed stops (--broker-memory-limit)" }
            ?? "no limit set"
        return "embedded broker: Tansu keeps every record in memory and ignores retention (about 15-20 KB per event "
            + "through the shipped workflow, 1.5 MB/s at --rate 100); \(limit); for long runs use --brokers"
    }

    /// True once, the first time the broker is over the limit.
    mutating func crossed() -> Bool {
        guard !tripped, let limitBytes, let resident = broker.residentBytes, resident > limitBytes else { return false }
        tripped = true
        return true
    }
}
