import SluiceEvents
import SluiceJSON

/// What the gateway knows about an event that left the workflow.
public enum EventResult: Sendable, Equatable {
    /// Out of the workflow's output topic: the finished event (without its embedding,
    /// which stays on the topic: it is 384 floats and nobody reads it over HTTP).
    case done(JSONValue)
    /// On the dead-letter topic: why, and which stage sent it there.
    case failed(reason: String, detail: String, stage: String)

    /// What a client is told of a dead letter's detail. The worker's own reasons (invalid
    /// JSON, a text too long, an output too large) describe the event and are written for
    /// its sender; a `stage-error` detail is the text of an error inside the stage's code
    /// (addresses, paths, library messages), kept for the operator on the dead-letter topic.
    static func shownDetail(reason: String, detail: String) -> String {
        guard reason == DeadLetterReason.stageError else { return detail }
        return "the stage failed on this event; the error is on the workflow's dead-letter topic (sluice dlq)"
    }

    public func json(id: String) -> JSONValue {
        switch self {
        case .done(let event):
            return .object(["id": .string(id), "status": .string("done"), "event": event])
        case .failed(let reason, let detail, let stage):
            return .object([
                "id": .string(id), "status": .string("failed"), "reason": .string(reason),
                "detail": .string(Self.shownDetail(reason: reason, detail: detail)), "stage": .string(stage),
            ])
        }
    }
}

extension EventResult {
    /// About what the result takes in memory: each string's bytes and a fixed cost per
    /// value and member (the Swift strings, enum cases and dictionary slots around them),
    /// so that the cache's byte bound holds within a small factor whatever the events hold.
    public var estimatedBytes: Int {
        switch self {
        case .done(let event): return 64 + Self.estimatedBytes(event)
        case .failed(let reason, let detail, let stage):
            return 160 + reason.utf8.count + detail.utf8.count + stage.utf8.count
        }
    }

    static func estimatedBytes(_ value: JSONValue) -> Int {
        switch value {
        case .null, .bool, .int, .double: return 16
        case .string(let text): return 32 + text.utf8.count
        case .array(let items): return 48 + items.reduce(0) { $0 + estimatedBytes($1) }
        case .object(let members):
            return 64 + members.reduce(0) { $0 + 48 + $1.key.utf8.count + estimatedBytes($1.value) }
        }
    }
}
