import SluiceJSON

/// Scores in [-1, 1] (a sentiment score, or a label's probability), counted in
/// 400 bins of 0.005: quantiles within 0.005, count, mean, min and max exact.
public struct ScoreSummary: Sendable, Equatable {
    public var count: Int = 0
    public var mean: Double = 0
    public var min: Double = 0
    public var p10: Double = 0
    public var p50: Double = 0
    public var p90: Double = 0
    public var max: Double = 0

    public init() {}
}

struct ScoreHistogram: Sendable {
    static let bins = 400
    private var counts = [Int](repeating: 0, count: bins)
    private var count = 0
    private var sum = 0.0
    private var low = Double.infinity
    private var high = -Double.infinity

    mutating func record(_ value: Double) {
        guard value.isFinite else { return }
        let clamped = Swift.min(1, Swift.max(-1, value))
        counts[Swift.min(Self.bins - 1, Int((clamped + 1) / 2 * Double(Self.bins)))] += 1
        count += 1
        sum += value
        low = Swift.min(low, value)
        high = Swift.max(high, value)
    }

    var summary: ScoreSummary {
        var s = ScoreSummary()
        guard count > 0 else { return s }
        s.count = count
        s.mean = sum / Double(count)
        s.min = low
        s.max = high
        func quantile(_ q: Double) -> Double {
            let rank = Swift.max(1, Int((q * Double(count)).rounded(.up)))
            var seen = 0
            for (bin, n) in counts.enumerated() {
                seen += n
                if seen >= rank {  // the bin's midpoint, kept inside what was seen
                    let mid = -1 + (Double(bin) + 0.5) * 2 / Double(Self.bins)
                    return Swift.min(high, Swift.max(low, mid))
                }
            }
            return high
        }
        s.p10 = quantile(0.1)
        s.p50 = quantile(0.5)
        s.p90 = quantile(0.9)
        return s
    }
}

/// One canary of one stage, since the monitor started: events scored by both heads,
/// how often their labels agree, and both score distributions over those events.
public struct CanaryFigures: Sendable, Equatable {
    public var stage: String
    public var activeVersion: String
    public var canaryVersion: String
    public var compared: Int
    public var agreed: Int
    /// agreed / compared; nil before any event.
    public var agreement: Double? { compared > 0 ? Double(agreed) / Double(compared) : nil }
    public var activeScores: ScoreSummary
    public var canaryScores: ScoreSummary

    public init(
        stage: String, activeVersion: String, canaryVersion: String, compared: Int, agreed: Int,
        activeScores: ScoreSummary, canaryScores: ScoreSummary
    ) {
        self.stage = stage
        self.activeVersion = activeVersion
        self.canaryVersion = canaryVersion
        self.compared = compared
        self.agreed = agreed
        self.activeScores = activeScores
        self.canaryScores = canaryScores
    }

    public func json() -> JSONValue {
        func scores(_ s: ScoreSummary) -> JSONValue {
            .object([
                "count": .int(Int64(s.count)), "mean": .double(s.mean), "min": .double(s.min), "p10": .double(s.p10),
                "p50": .double(s.p50), "p90": .double(s.p90), "max": .double(s.max),
            ])
        }
        return .object([
            "stage": .string(stage), "head_version": .string(activeVersion), "canary_version": .string(canaryVersion),
            "compared": .int(Int64(compared)), "agreed": .int(Int64(agreed)),
            "agreement": agreement.map(JSONValue.double) ?? .null,
            "active_scores": scores(activeScores), "canary_scores": scores(canaryScores),
        ])
    }
}

/// Finds `results.<key>.canary` on finished events (written by a stage running a
/// canary head) and tallies agreement and scores per stage and pair of versions.
struct CanaryTally: Sendable {
    private struct Entry: Sendable {
        var compared = 0
        var agreed = 0
        var active = ScoreHistogram()
        var canary = ScoreHistogram()
    }

    /// Result key -> stage name (`sentiment` -> the sentiment stage, `label` -> the classify stage).
    let stageOfResult: [String: String]
    private var entries: [String: Entry] = [:]
    private var order: [(stage: String, active: String, canary: String)] = []

    init(stageOfResult: [String: String]) { self.stageOfResult = stageOfResult }

    mutating func record(_ results: [String: JSONValue]) {
        for key in results.keys.sorted() {
            guard let result = results[key], let canary = result["canary"],
                let canaryVersion = canary["head_version"]?.stringValue,
                let activeVersion = result["head_version"]?.stringValue
            else { continue }
            let stage = stageOfResult[key] ?? key
            let id = "\(stage)\u{1}\(activeVersion)\u{1}\(canaryVersion)"
            if entries[id] == nil { order.append((stage, activeVersion, canaryVersion)) }
            var entry = entries[id] ?? Entry()
            entry.compared += 1
            if canary["agrees"]?.boolValue == true { entry.agreed += 1 }
            if let score = result["score"]?.doubleValue { entry.active.record(score) }
            if let score = canary["score"]?.doubleValue { entry.canary.record(score) }
            entries[id] = entry
        }
    }

    var figures: [CanaryFigures] {
        order.map { key in
            let entry = entries["\(key.stage)\u{1}\(key.active)\u{1}\(key.canary)"]!
            return CanaryFigures(
                stage: key.stage, activeVersion: key.active, canaryVersion: key.canary, compared: entry.compared,
                agreed: entry.agreed, activeScores: entry.active.summary, canaryScores: entry.canary.summary)
        }
    }
}
