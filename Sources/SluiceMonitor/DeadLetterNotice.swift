/// A record seen on the dead-letter topic, from its headers (SluiceEvents'
/// `DeadLetterHeaders` stage, reason and failedAt): it counts against the stage's error rate.
public struct DeadLetterNotice: Sendable, Equatable {
    public var stage: String
    public var reason: String
    /// Epoch microseconds when the record was dead-lettered.
    public var at: Int64

    public init(stage: String, reason: String, at: Int64) {
        self.stage = stage
        self.reason = reason
        self.at = at
    }
}
