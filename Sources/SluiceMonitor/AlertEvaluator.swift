import SluiceWorkflow

/// Evaluates the workflow's alert rules on each tick against the current figures
/// (the snapshot of the first, shortest window) and reports only the edges.
///
/// A rule fires while its value is strictly above its threshold. When the value is
/// unknown (no event in the window for a latency rule, no lag report yet) the rule
/// keeps its state: missing data is not evidence that things are fine, and a stopped
/// stream is the stall rule's business.
public struct AlertEvaluator: Sendable {
    public let rules: [AlertRuleSpec]
    private var firing: Set<String> = []

    public init(rules: [AlertRuleSpec]) {
        self.rules = rules
    }

    /// Names of the rules firing now.
    public var firingRules: Set<String> { firing }

    public mutating func evaluate(_ snapshot: MetricsSnapshot) -> [AlertTransition] {
        var transitions: [AlertTransition] = []
        for rule in rules {
            guard let value = Self.value(of: rule, in: snapshot) else { continue }
            let above = value > rule.above
            let wasFiring = firing.contains(rule.name)
            guard above != wasFiring else { continue }
            if above { firing.insert(rule.name) } else { firing.remove(rule.name) }
            transitions.append(
                AlertTransition(
                    rule: rule.name, state: above ? .firing : .resolved, value: value, threshold: rule.above,
                    at: snapshot.at, subject: rule.stage))
        }
        return transitions
    }

    /// The rule's metric in the snapshot; nil when unknown.
    public static func value(of rule: AlertRuleSpec, in snapshot: MetricsSnapshot) -> Double? {
        let stages = rule.stage.map { name in snapshot.stages.filter { $0.stage == name } } ?? snapshot.stages
        switch rule.metric {
        case .p99EndToEndMs:
            return snapshot.endToEnd.count > 0 ? Double(snapshot.endToEnd.p99) / 1_000 : nil
        case .lag:
            let reports = stages.compactMap(\.lag)
            return reports.isEmpty ? nil : Double(reports.reduce(0) { $0 + $1.total })
        case .deadLetterRate:
            if let name = rule.stage { return snapshot.stage(name)?.errorRate }
            // The workflow's: every dead letter against every event that entered.
            let dead = snapshot.deadLetters
            return snapshot.events + dead > 0 ? Double(dead) / Double(snapshot.events + dead) : nil
        case .stallSeconds:
            return stages.map(\.stallSeconds).max()
        }
    }
}
