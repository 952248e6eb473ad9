import SluiceEvents

/// A step of a workflow. Stages keep no per-event state across batches, so any
/// worker of a stage can take any partition of its input.
public protocol Stage: Sendable {
    /// What the step needs to be present on each event before it runs.
    var requirement: StageRequirement { get }
    /// Runs the step once for a micro-batch: one result per event, in order,
    /// the enriched event or the error that sends it to the dead-letter topic.
    func process(_ batch: [Envelope]) -> [Result<Envelope, StageError>]
    /// The encoder the step runs (e.g. `all-MiniLM-L6-v2@1a2b`), for the registry; nil for none.
    var modelID: String? { get }
    /// The version of the trained head the step applies, for the registry; nil for none.
    var headVersion: String? { get }
    /// The replaceable head of a stage that runs one (`sluice deploy`); nil for none.
    var headSlot: HeadSlot? { get }
}

extension Stage {
    public var modelID: String? { nil }
    public var headVersion: String? { nil }
    public var headSlot: HeadSlot? { nil }
}

public enum StageRequirement: Sendable {
    case text
    case embedding(dimension: Int)
}

/// An event the step could not handle; it goes to the dead-letter topic with this reason.
public struct StageError: Error, CustomStringConvertible, Sendable, Equatable {
    public let reason: String
    public let detail: String

    public init(reason: String, detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(reason): \(detail)" }
}
