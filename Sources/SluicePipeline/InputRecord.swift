import SluiceEvents

/// A consumed record as the pipeline sees it (independent of the Kafka client's types).
public struct InputRecord: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [EventHeader]
    /// The record's broker or producer timestamp, epoch microseconds.
    public var timestampMicros: Int64

    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], headers: [EventHeader],
        timestampMicros: Int64
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMicros = timestampMicros
    }
}

/// What becomes of one input record: an output record for the next topic, or a dead letter.
public enum Outcome: Sendable {
    case output(key: [UInt8], value: [UInt8], headers: [EventHeader])
    case deadLetter(key: [UInt8]?, value: [UInt8], headers: [EventHeader], reason: String)
}
