/// Everything the monitor knows over one window at one moment: what goes to the
/// metrics topic, the Prometheus endpoint, the terminal table and the alert rules.
public struct MetricsSnapshot: Sendable, Equatable {
    /// Monitor time of the snapshot, epoch µs.
    public var at: Int64
    /// The sliding window in seconds; nil for "since start".
    public var windowSeconds: Int?
    /// Seconds the rates are over: the window, or the time since start.
    public var spanSeconds: Double
    /// λ: finished events per second by created_at (events still in flight at the
    /// window's end are not counted yet, so λ reads low by about one end-to-end latency).
    public var arrivalRate: Double
    /// Finished events whose last hop falls in the window.
    public var events: Int
    public var deadLetters: Int
    /// created_at to the last hop's produced_at, µs.
    public var endToEnd: DistributionSummary
    public var endToEndNegativeClamped: Int
    /// Mean over events of (sum of per-event processing times / end-to-end), in 0...1.
    public var efficiency: Double?
    public var targetUtilisation: Double
    /// In workflow order.
    public var stages: [StageFigures]
    /// In workflow order: input->first, then each stage to the next.
    public var hops: [HopFigures]
    /// Canaries seen on finished events, since the monitor started (the same in every window).
    public var canaries: [CanaryFigures]

    public init(
        at: Int64, windowSeconds: Int?, spanSeconds: Double, arrivalRate: Double, events: Int, deadLetters: Int,
        endToEnd: DistributionSummary, endToEndNegativeClamped: Int, efficiency: Double?, targetUtilisation: Double,
        stages: [StageFigures], hops: [HopFigures], canaries: [CanaryFigures] = []
    ) {
        self.canaries = canaries
        self.at = at
        self.windowSeconds = windowSeconds
        self.spanSeconds = spanSeconds
        self.arrivalRate = arrivalRate
        self.events = events
        self.deadLetters = deadLetters
        self.endToEnd = endToEnd
        self.endToEndNegativeClamped = endToEndNegativeClamped
        self.efficiency = efficiency
        self.targetUtilisation = targetUtilisation
        self.stages = stages
        self.hops = hops
    }

    public func stage(_ name: String) -> StageFigures? { stages.first { $0.stage == name } }
    public func hop(_ name: String) -> HopFigures? { hops.first { $0.hop == name } }

    /// "10s", or "all" since start: the window's name in every output.
    public var windowName: String { windowSeconds.map { "\($0)s" } ?? "all" }
}
