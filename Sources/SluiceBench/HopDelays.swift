import SluiceEvents

/// Where an event's time went between stages, from its hops: for each edge of the
/// chain, the delay from the producer's side (the event's `created_at`, or the
/// previous stage's `produced_at`) to the next stage's `consumed_at`, which the
/// worker stamps when the batch is in hand and its step starts. So an edge's delay
/// holds the producer's linger, the broker, the consumer's fetch and the batch wait;
/// the step itself is not in it (it is `process_us`, shown per stage).
public struct HopDelays: Sendable, Equatable {
    public struct Edge: Sendable, Equatable {
        /// `input -> features`, `features -> topics`, ...
        public var name: String
        public var p50Ms: Double
        public var p99Ms: Double
        /// The step's time per batch on the edge's receiving stage, p50 (ms).
        public var stepP50Ms: Double
        public var batchSizeP50: Int
    }
    public var edges: [Edge]

    /// `stages` in workflow order; events whose hops do not follow it (a dead letter, a
    /// partial chain) are left out.
    public init(events: [Envelope], stages: [String]) {
        var delays = [[Double]](repeating: [], count: stages.count)
        var steps = [[Double]](repeating: [], count: stages.count)
        var sizes = [[Double]](repeating: [], count: stages.count)
        for event in events where event.hops.map(\.stage) == stages {
            var sentAt = event.createdAt
            for (index, hop) in event.hops.enumerated() {
                delays[index].append(Double(hop.consumedAt - sentAt) / 1000)
                steps[index].append(Double(hop.processMicros) / 1000)
                sizes[index].append(Double(hop.batchSize))
                sentAt = hop.producedAt
            }
        }
        edges = stages.indices.map { index in
            Edge(
                name: "\(index == 0 ? "input" : stages[index - 1]) -> \(stages[index])",
                p50Ms: Self.percentile(delays[index], 0.5), p99Ms: Self.percentile(delays[index], 0.99),
                stepP50Ms: Self.percentile(steps[index], 0.5),
                batchSizeP50: Int(Self.percentile(sizes[index], 0.5)))
        }
    }

    /// The nearest-rank percentile; 0 for no values.
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
    }
}
