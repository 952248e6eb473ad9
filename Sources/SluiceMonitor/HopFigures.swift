/// The delay of one hop over one window: `input->features` is created_at to the first
/// stage's consumed_at; `features->topics` is features' produced_at to topics' consumed_at.
public struct HopFigures: Sendable, Equatable {
    public var hop: String
    public var delay: DistributionSummary
    /// Negative delays (clock skew) seen, recorded as 0.
    public var negativeClamped: Int

    public init(hop: String, delay: DistributionSummary, negativeClamped: Int) {
        self.hop = hop
        self.delay = delay
        self.negativeClamped = negativeClamped
    }
}
