/// Surge detection on a label's share of negative posts: the share in the window that
/// just closed, as a z-score against that label's last `baselineWindows` closed windows.
public struct SurgeSpec: Sendable, Equatable {
    /// Fire when the z-score reaches this.
    public var z: Double = 3.0
    /// How many past windows of the label make its baseline.
    public var baselineWindows: Int = 12
    /// Fewer posts than this in the current window say too little to judge.
    public var minCount: Int = 20
    /// No verdict before the label has this many baseline windows.
    public var minBaselineWindows: Int = 3
    /// Floor of the baseline's standard deviation: a label that was always at 0 %
    /// negative would otherwise make any single negative post an infinite z-score.
    public var stdFloor: Double = 0.05

    public init() {}
}

extension SurgeSpec {
    static func parse(_ field: YAMLField) throws(WorkflowError) -> SurgeSpec {
        var surge = SurgeSpec()
        let keys = ["z", "baseline_windows", "min_count", "min_baseline_windows", "std_floor"]
        for (key, value) in try field.mapping(allowed: keys) {
            switch key {
            case "z": surge.z = try value.double(in: 0.1...100)
            case "baseline_windows": surge.baselineWindows = try value.int(atLeast: 1)
            case "min_count": surge.minCount = try value.int(atLeast: 1)
            case "min_baseline_windows": surge.minBaselineWindows = try value.int(atLeast: 1)
            default: surge.stdFloor = try value.double(in: 0.001...1)
            }
        }
        if surge.minBaselineWindows > surge.baselineWindows {
            throw field.error(
                "min_baseline_windows (\(surge.minBaselineWindows)) cannot exceed baseline_windows (\(surge.baselineWindows))"
            )
        }
        return surge
    }
}
