/// A Kafka record header, as the envelope layer sees it.
public struct EventHeader: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]

    public init(key: String, value: [UInt8]) {
        self.key = key
        self.value = value
    }

    public init(_ key: String, _ text: String) {
        self.init(key: key, value: Array(text.utf8))
    }

    public var text: String { String(decoding: value, as: UTF8.self) }
}

/// The headers Sluice puts on every record it produces, following the
/// CloudEvents Kafka binding (binary mode) plus W3C `traceparent`, so that
/// other tools can read the stream without parsing the value.
public enum EventHeaders {
    public static let traceparent = "traceparent"
    public static let ceID = "ce_id"
    public static let ceType = "ce_type"
    public static let ceSource = "ce_source"
    public static let ceSpecVersion = "ce_specversion"
    public static let ceTime = "ce_time"
    public static let contentType = "content-type"
    /// Replaced on each hop; every other header a caller sent is carried through.
    static let replaced: Set<String> = [traceparent, ceID, ceType, ceSource, ceSpecVersion, contentType]

    /// Headers for a record that `stage` of `workflow` produces from an input
    /// record carrying `incoming`: the caller's headers stay, the trace gets a
    /// new span of this stage, and the CloudEvents attributes describe the event.
    /// `workflow` is nil where an event enters without one (`sluice produce`).
    public static func outgoing(
        incoming: [EventHeader], eventID: String, workflow: String?, stage: String
    ) -> [EventHeader] {
        let parent = incoming.text(named: traceparent).flatMap { TraceContext.parse($0) }
        let span = parent?.child() ?? TraceContext.newRoot()
        var headers = incoming.filter { !replaced.contains($0.key) }
        headers.append(EventHeader(traceparent, span.header))
        headers.append(EventHeader(ceSpecVersion, "1.0"))
        headers.append(EventHeader(ceID, eventID))
        headers.append(EventHeader(ceType, "dev.sluice.\(stage)"))
        headers.append(EventHeader(ceSource, workflow.map { "/sluice/\($0)/\(stage)" } ?? "/sluice/\(stage)"))
        headers.append(EventHeader(contentType, "application/json"))
        return headers
    }
}
