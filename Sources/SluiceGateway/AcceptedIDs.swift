import Foundation
import SluiceJSON

/// The ids of events this gateway produced, each with a fingerprint of the event as
/// posted (of its canonical JSON: keys sorted, no spaces), so that a reused id can be told apart from
/// a retry: the same id with the same event is a retry and is not produced again; the
/// same id with a different event is refused (409). Bounded: the oldest are forgotten
/// first. Thread-safe.
final class AcceptedIDs: @unchecked Sendable {
    enum Claim: Equatable {
        /// Not seen: reserved for this request until `confirm` or `release`.
        case new
        /// The same event was accepted before: answer as then, produce nothing.
        case retry
        /// The same event is being produced by a request still under way.
        case inFlight
        /// Another event was accepted under this id.
        case conflict
    }

    private struct Entry {
        var fingerprint: EventFingerprint
        var confirmed: Bool
    }

    let capacity: Int
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var order: [String] = []
    private var oldest = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Claims every id of a request at once: either all `new` ones are reserved
    /// (and the answer says what each id is), or, when any id conflicts or is in
    /// flight, nothing is reserved.
    /// - Parameter known: the `content` fingerprint of a result seen on the output topic
    ///   for an id this gateway did not produce (nil: none).
    func claim(
        _ events: [(id: String, fingerprint: EventFingerprint, content: EventFingerprint)],
        known: (String) -> EventFingerprint?
    ) -> [Claim] {
        lock.lock()
        defer { lock.unlock() }
        let claims = events.map { event -> Claim in
            if let entry = entries[event.id] {
                guard entry.fingerprint == event.fingerprint else { return .conflict }
                return entry.confirmed ? .retry : .inFlight
            }
            // An id whose result came from elsewhere (another replica, before a restart).
            if let seen = known(event.id) { return seen == event.content ? .retry : .conflict }
            return .new
        }
        guard !claims.contains(.conflict), !claims.contains(.inFlight) else { return claims }
        for (event, claim) in zip(events, claims) where claim == .new {
            insert(event.id, Entry(fingerprint: event.fingerprint, confirmed: false))
        }
        return claims
    }

    /// The broker acknowledged them: later identical posts are retries.
    func confirm(_ ids: [String]) {
        lock.lock()
        for id in ids { entries[id]?.confirmed = true }
        lock.unlock()
    }

    /// They were not produced: the ids are free again.
    func release(_ ids: [String]) {
        lock.lock()
        for id in ids where entries[id]?.confirmed == false { entries[id] = nil }
        lock.unlock()
    }

    private func insert(_ id: String, _ entry: Entry) {
        if order.count < capacity {
            order.append(id)
        } else {
            entries[order[oldest]] = nil
            order[oldest] = id
            oldest = (oldest + 1) % capacity
        }
        entries[id] = entry
    }

    /// What identifies an event as posted: its `text`, `data` and `key`, canonically.
    static func fingerprint(text: JSONValue?, data: JSONValue?, key: JSONValue?) -> EventFingerprint {
        var fields: [String: JSONValue] = [:]
        fields["text"] = text
        fields["data"] = data
        fields["key"] = key
        return EventFingerprint(JSONValue.object(fields).serialized())
    }
}

/// 128 bits of SipHash (Swift's `Hasher`, seeded at random per process) of an event's
/// canonical JSON: the memory of ids holds these, not whole events. The seed is
/// unknown outside the process, so a caller cannot make two different events match.
public struct EventFingerprint: Hashable, Sendable {
    let first: Int
    let second: Int

    init(_ canonical: String) {
        var one = Hasher()
        one.combine(0 as UInt8)
        one.combine(canonical)
        var two = Hasher()
        two.combine(1 as UInt8)
        two.combine(canonical)
        first = one.finalize()
        second = two.finalize()
    }
}
