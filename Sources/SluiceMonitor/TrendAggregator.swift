import SluiceEvents
import SluiceWorkflow

/// Sentiment trends: per label and overall, over tumbling windows of event time, with
/// surge alerts on a label's negative share (see `SurgeDetector`).
///
/// Event time is the last hop's produced_at: the moment the scored post became
/// available, which is what a live feed shows (created_at when an envelope has no hop).
/// A window [k·W, (k+1)·W) closes once the monitor's clock passes its end plus
/// `latenessSeconds`, giving stragglers from slower partitions time to land; a post for
/// an already closed window is counted in `lateDropped` and otherwise ignored.
public struct TrendAggregator: Sendable {
    public let windowSeconds: Int
    public let latenessSeconds: Int
    public private(set) var lateDropped = 0
    /// Envelopes without a sentiment result (not counted in any window).
    public private(set) var unscored = 0

    private var open: [Int64: [String?: TrendTally]] = [:]
    /// Windows with an index below this are closed.
    private var closedBelow: Int64 = .min
    private var surge: SurgeDetector

    public init(windowSeconds: Int = 60, surge: SurgeSpec = SurgeSpec(), latenessSeconds: Int = 5) {
        self.windowSeconds = Swift.max(1, windowSeconds)
        self.latenessSeconds = Swift.max(0, latenessSeconds)
        self.surge = SurgeDetector(spec: surge)
    }

    public init(workflow: Workflow) {
        self.init(windowSeconds: workflow.monitor.trendWindowSeconds, surge: workflow.monitor.surge)
    }

    private var windowMicros: Int64 { Int64(windowSeconds) * 1_000_000 }

    public mutating func record(_ envelope: Envelope) {
        guard let reading = SentimentReading(envelope) else {
            unscored += 1
            return
        }
        let time = envelope.hops.last?.producedAt ?? envelope.createdAt
        let index = Self.floorDiv(time, windowMicros)
        guard index >= closedBelow else {
            lateDropped += 1
            return
        }
        open[index, default: [:]][nil, default: TrendTally()].add(reading)
        if let label = reading.label {
            open[index, default: [:]][label, default: TrendTally()].add(reading)
        }
    }

    /// Closes every window that ended at least `latenessSeconds` before `now`.
    public mutating func advance(now: Int64) -> TrendUpdate {
        let limit = Self.floorDiv(now - Int64(latenessSeconds) * 1_000_000, windowMicros)
        var update = TrendUpdate()
        for index in open.keys.sorted() where index < limit {
            let start = index * windowMicros
            let tallies = open.removeValue(forKey: index)!
            let labels = tallies.keys.compactMap { $0 }.sorted()
            for label in labels {
                let window = tallies[label]!.window(start: start, end: start + windowMicros, label: label)
                update.windows.append(window)
                if let transition = surge.observe(window) { update.transitions.append(transition) }
            }
            if let overall = tallies[nil] {
                update.windows.append(overall.window(start: start, end: start + windowMicros, label: nil))
            }
        }
        closedBelow = Swift.max(closedBelow, limit)
        return update
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
