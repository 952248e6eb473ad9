import SluiceEvents

/// The largest record the worker's producer accepts: librdkafka refuses to
/// enqueue a record over `message.max.bytes` (1,000,000 by default). The worker
/// checks every outcome against it before producing, so a record that grew too
/// large becomes a dead letter instead of failing the batch again on every rejoin.
public struct RecordSizeLimit: Sendable, Equatable {
    public static let librdkafkaDefault = 1_000_000
    /// librdkafka compares the record's wire size, framing included; this covers it.
    static let framing = 512

    public let maxBytes: Int

    public init(maxBytes: Int = RecordSizeLimit.librdkafkaDefault) { self.maxBytes = maxBytes }

    /// The limit a producer built from these librdkafka properties enforces.
    public init(properties: [String: String]) {
        self.init(maxBytes: properties["message.max.bytes"].flatMap { Int($0) } ?? Self.librdkafkaDefault)
    }

    public func size(key: [UInt8]?, value: [UInt8], headers: [EventHeader]) -> Int {
        (key?.count ?? 0) + value.count + headers.reduce(0) { $0 + $1.key.utf8.count + $1.value.count + 8 }
            + Self.framing
    }

    public func fits(key: [UInt8]?, value: [UInt8], headers: [EventHeader]) -> Bool {
        size(key: key, value: value, headers: headers) <= maxBytes
    }
}
