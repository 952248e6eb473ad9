/// Why a record is not a valid event. The worker sends such records to the
/// dead-letter topic with `reason` in a header and goes on.
public struct EnvelopeError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Reason: String, Sendable {
        case invalidJSON = "invalid-json"
        case notAnObject = "not-an-object"
        case missingText = "missing-text"
        case wrongType = "wrong-type"
        case textTooLong = "text-too-long"
        case badEmbedding = "bad-embedding"
        case missingEmbedding = "missing-embedding"
    }

    public let reason: Reason
    public let detail: String

    public init(_ reason: Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(reason.rawValue): \(detail)" }
}
