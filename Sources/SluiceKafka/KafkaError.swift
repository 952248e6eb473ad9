/// The one error type of SluiceKafka.
///
/// `code` carries librdkafka's `rd_kafka_resp_err_t` value (negative codes are
/// local to the client, positive ones come from the broker); the flags are
/// librdkafka's own judgement where it gives one, so callers can decide to retry
/// (`isRetriable`) or to rebuild the client (`isFatal`) without parsing text.
public struct KafkaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// An open set of error codes: librdkafka adds codes between releases.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let noError = Code(rawValue: 0)
        /// The local producer queue is full: wait for delivery reports, then retry.
        public static let queueFull = Code(rawValue: -184)
        public static let timedOut = Code(rawValue: -185)
        public static let transport = Code(rawValue: -195)
        public static let allBrokersDown = Code(rawValue: -187)
        public static let invalidArgument = Code(rawValue: -186)
        public static let fatal = Code(rawValue: -150)
        public static let state = Code(rawValue: -172)
        public static let topicAlreadyExists = Code(rawValue: 36)
        /// Codes librdkafka never uses; SluiceKafka's own conditions.
        public static let unsupportedLibrary = Code(rawValue: -10_001)
        public static let closed = Code(rawValue: -10_002)
        public static let brokerUnreachable = Code(rawValue: -10_003)
        public static let brokerProcess = Code(rawValue: -10_004)

        public var description: String { "\(rawValue)" }
    }

    public var code: Code
    public var message: String
    public var isRetriable: Bool
    public var isFatal: Bool
    /// True when a transactional producer must call `abortTransaction()`.
    public var requiresTransactionAbort: Bool

    public init(
        code: Code, message: String, isRetriable: Bool = false, isFatal: Bool = false,
        requiresTransactionAbort: Bool = false
    ) {
        self.code = code
        self.message = message
        self.isRetriable = isRetriable
        self.isFatal = isFatal
        self.requiresTransactionAbort = requiresTransactionAbort
    }

    public var description: String {
        var flags: [String] = []
        if isRetriable { flags.append("retriable") }
        if isFatal { flags.append("fatal") }
        if requiresTransactionAbort { flags.append("abort transaction") }
        let suffix = flags.isEmpty ? "" : " [\(flags.joined(separator: ", "))]"
        return "Kafka error \(code.rawValue): \(message)\(suffix)"
    }
}
