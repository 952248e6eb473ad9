/// A rule changing state: emitted exactly once when it starts firing and once when it
/// clears, never on every tick in between, so the alerts topic holds edges, not levels.
public struct AlertTransition: Sendable, Equatable {
    /// The rule's name; surges are `negative-surge:<label>`.
    public var rule: String
    public var state: AlertState
    /// The metric's value at the transition (a surge: the z-score).
    public var value: Double
    public var threshold: Double
    /// Epoch µs: the snapshot's time (a surge: the end of the window that decided it).
    public var at: Int64
    /// The stage (or, for a surge, the label) the rule is about, if any.
    public var subject: String?

    public init(rule: String, state: AlertState, value: Double, threshold: Double, at: Int64, subject: String? = nil) {
        self.rule = rule
        self.state = state
        self.value = value
        self.threshold = threshold
        self.at = at
        self.subject = subject
    }
}
