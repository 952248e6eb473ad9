import Foundation
import SluiceJSON

/// What a new event gets where it enters Sluice: `sluice produce`, the gateway and
/// the demo feeder all stamp through `EventStamp.stamp`, so an event looks the same
/// on the input topic whichever way it came in.
public struct StampedEvent: Sendable, Equatable {
    /// The event's id (the one it brought, else a new UUID).
    public var id: String
    /// The event's fields with `id`, `created_at` and (when known) `workflow` filled in.
    public var fields: [String: JSONValue]
    /// The trace and CloudEvents headers of the record.
    public var headers: [EventHeader]

    /// The record value: compact JSON, UTF-8.
    public var value: [UInt8] { Array(JSONValue.object(fields).serialized().utf8) }
}

public enum EventStamp {
    /// Stamps the JSON object `fields` as a new event.
    ///
    /// - `id`: kept when given (an integer becomes its decimal string, as the worker
    ///   reads it); a new UUID when absent or null.
    /// - `created_at`: kept when given, else `now`: end-to-end latency starts here.
    /// - `workflow`: set to `workflow` when the caller knows it and the event has none.
    /// - headers: a W3C `traceparent` (a child span of a valid `traceparent`, else a
    ///   new trace) and the CloudEvents attributes, with `entry` ("produce",
    ///   "gateway", "demo") as the stage that made the event.
    ///
    /// It refuses nothing: checking what a caller may send is the entry point's
    /// business (the gateway refuses more than `sluice produce`), and the first
    /// stage dead-letters what is still wrong.
    public static func stamp(
        _ fields: [String: JSONValue], entry: String, workflow: String? = nil, traceparent: String? = nil,
        now: @autoclosure () -> Int64 = EventClock.nowMicros(), makeID: () -> String = EventStamp.newID
    ) -> StampedEvent {
        var fields = fields
        let id: String
        switch fields["id"] {
        case nil, .null?:
            id = makeID()
            fields["id"] = .string(id)
        case .string(let given)?:
            id = given
        case .int(let number)?:
            id = String(number)
            fields["id"] = .string(id)
        case let other?:
            id = other.serialized()  // not an event id: left as it is, the worker dead-letters it
        }
        if fields["created_at"] == nil || fields["created_at"] == .null { fields["created_at"] = .int(now()) }
        if let workflow, fields["workflow"] == nil { fields["workflow"] = .string(workflow) }
        var incoming: [EventHeader] = []
        if let traceparent { incoming.append(EventHeader(EventHeaders.traceparent, traceparent)) }
        let headers = EventHeaders.outgoing(incoming: incoming, eventID: id, workflow: workflow, stage: entry)
        return StampedEvent(id: id, fields: fields, headers: headers)
    }

    /// A new event id: a lower-case UUID.
    public static func newID() -> String { UUID().uuidString.lowercased() }
}
