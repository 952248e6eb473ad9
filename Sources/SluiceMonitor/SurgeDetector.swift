import SluiceWorkflow

/// Flags a label whose negative share in a just-closed window rises far above its own
/// recent baseline: z = (share - mean) / max(std, floor) over the label's last K
/// qualifying windows (population std). A verdict needs `minCount` posts in the window
/// and `minBaselineWindows` baseline windows; otherwise the label keeps its state.
/// Only windows with `minCount` posts join the baseline (a window of 3 posts has a share
/// too noisy to learn from). The surge window itself joins the baseline afterwards, so
/// a lasting shift becomes the new normal and the alert clears.
struct SurgeDetector: Sendable {
    let spec: SurgeSpec
    private var history: [String: [Double]] = [:]
    private var firing: Set<String> = []

    init(spec: SurgeSpec) { self.spec = spec }

    static func ruleName(label: String) -> String { "negative-surge:\(label)" }

    mutating func observe(_ window: TrendWindow) -> AlertTransition? {
        guard let label = window.label, window.count >= spec.minCount else { return nil }
        let baseline = history[label, default: []]
        defer { history[label] = Array((baseline + [window.negativeShare]).suffix(spec.baselineWindows)) }
        guard baseline.count >= spec.minBaselineWindows else { return nil }
        let mean = baseline.reduce(0, +) / Double(baseline.count)
        let variance = baseline.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(baseline.count)
        let z = (window.negativeShare - mean) / Swift.max(variance.squareRoot(), spec.stdFloor)
        let surging = z >= spec.z
        guard surging != firing.contains(label) else { return nil }
        if surging { firing.insert(label) } else { firing.remove(label) }
        return AlertTransition(
            rule: Self.ruleName(label: label), state: surging ? .firing : .resolved, value: z, threshold: spec.z,
            at: window.end, subject: label)
    }
}
