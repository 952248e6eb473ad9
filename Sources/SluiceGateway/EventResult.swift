import SluiceJSON

/// What the gateway knows about an event that left the workflow.
public enum EventResult: Sendable, Equatable {
    /// Out of the workflow's output topic: the finished event (without its embedding,
    /// which stays on the topic: it is 384 floats and nobody reads it over HTTP).
    case done(JSONValue)
    /// On the dead-letter topic: why, and which stage sent it there.
    case failed(reason: String, detail: String, stage: String)

    public func json(id: String) -> JSONValue {
        switch self {
        case .done(let event):
            return .object(["id": .string(id), "status": .string("done"), "event": event])
        case .failed(let reason, let detail, let stage):
            return .object([
                "id": .string(id), "status": .string("failed"), "reason": .string(reason),
                "detail": .string(detail), "stage": .string(stage),
            ])
        }
    }
}
