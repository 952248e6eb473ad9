/// What advancing the trend aggregator's clock produced: the windows that closed, in
/// time order (per window: labels by name, then the overall one), and surge edges.
public struct TrendUpdate: Sendable, Equatable {
    public var windows: [TrendWindow] = []
    public var transitions: [AlertTransition] = []

    public init(windows: [TrendWindow] = [], transitions: [AlertTransition] = []) {
        self.windows = windows
        self.transitions = transitions
    }
}
