/// The optional `monitor:` section of a workflow file: which sliding windows the
/// monitor reports, the utilisation it sizes replicas for, where it publishes,
/// the alert rules it evaluates and how it detects a surge of negative posts.
///
///     monitor:
///       windows_s: [10, 60]
///       target_utilisation: 0.7
///       metrics_topic: metrics
///       rules:
///         - { name: slow, metric: p99_end_to_end_ms, above: 2000 }
///       surge: { z: 3.0, baseline_windows: 12, min_count: 20 }
public struct MonitorSpec: Sendable, Equatable {
    /// Sliding windows, in seconds, ascending. The first one is the "current" one alerts look at.
    public var windowsSeconds: [Int] = [10, 60]
    /// Share of its time a replica should be busy; replica advice divides the load by it.
    public var targetUtilisation: Double = 0.7
    /// Topics the monitor publishes to; nil means it does not publish that kind of record.
    public var metricsTopic: String?
    public var alertsTopic: String?
    public var trendsTopic: String?
    /// Length of the tumbling windows of sentiment trends.
    public var trendWindowSeconds: Int = 60
    public var rules: [AlertRuleSpec] = []
    public var surge = SurgeSpec()
    public var line: Int = 0

    public init() {}
}

extension MonitorSpec {
    static let keys = [
        "windows_s", "target_utilisation", "metrics_topic", "alerts_topic", "trends_topic", "trend_window_s",
        "rules", "surge",
    ]

    static func parse(_ field: YAMLField, stageNames: [String], topicNames: Set<String>) throws(WorkflowError)
        -> MonitorSpec
    {
        var spec = MonitorSpec()
        spec.line = field.line
        for (key, value) in try field.mapping(allowed: keys) {
            switch key {
            case "windows_s":
                var windows: [Int] = []
                for item in try value.list() {
                    let seconds = try item.int(atLeast: 1)
                    if let last = windows.last, seconds <= last {
                        throw item.error("windows must be listed shortest first, each longer than the one before")
                    }
                    windows.append(seconds)
                }
                guard !windows.isEmpty else { throw value.error("list at least one window") }
                spec.windowsSeconds = windows
            case "target_utilisation": spec.targetUtilisation = try value.double(in: 0.05...1)
            case "metrics_topic", "alerts_topic", "trends_topic":
                let topic = try value.string()
                guard topicNames.contains(topic) else {
                    throw value.error("topic '\(topic)' is not declared under 'topics'")
                }
                if key == "metrics_topic" { spec.metricsTopic = topic }
                if key == "alerts_topic" { spec.alertsTopic = topic }
                if key == "trends_topic" { spec.trendsTopic = topic }
            case "trend_window_s": spec.trendWindowSeconds = try value.int(atLeast: 1)
            case "rules":
                for ruleField in try value.list() {
                    let rule = try AlertRuleSpec.parse(ruleField, stageNames: stageNames)
                    if spec.rules.contains(where: { $0.name == rule.name }) {
                        throw ruleField.error("rule name '\(rule.name)' is used twice; rule names must be unique")
                    }
                    spec.rules.append(rule)
                }
            default: spec.surge = try SurgeSpec.parse(value)
            }
        }
        return spec
    }
}
