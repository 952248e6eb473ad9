/// One alert rule: it fires while `metric` (of `stage`, or of the whole workflow) is above `above`.
public struct AlertRuleSpec: Sendable, Equatable {
    public var name: String
    public var metric: AlertMetric
    public var above: Double
    public var stage: String?
    public var line: Int = 0

    public init(name: String, metric: AlertMetric, above: Double, stage: String? = nil) {
        self.name = name
        self.metric = metric
        self.above = above
        self.stage = stage
    }
}

extension AlertRuleSpec {
    static func parse(_ field: YAMLField, stageNames: [String]) throws(WorkflowError) -> AlertRuleSpec {
        let entries = try field.mapping(allowed: ["name", "metric", "above", "stage"])
        func required(_ key: String) throws(WorkflowError) -> YAMLField {
            guard let value = entries.first(where: { $0.key == key })?.value else {
                throw field.error("missing key '\(key)'")
            }
            return value
        }
        let metricField = try required("metric")
        let metricName = try metricField.string()
        guard let metric = AlertMetric(rawValue: metricName) else {
            let known = AlertMetric.allCases.map(\.rawValue).joined(separator: ", ")
            throw metricField.error("unknown metric '\(metricName)'; expected one of: \(known)")
        }
        let aboveField = try required("above")
        let limit: ClosedRange<Double> = metric == .deadLetterRate ? 0...1 : 0...1e12
        var rule = AlertRuleSpec(
            name: try required("name").string(), metric: metric, above: try aboveField.double(in: limit))
        rule.line = field.line
        if let stageField = entries.first(where: { $0.key == "stage" })?.value {
            let stage = try stageField.string()
            guard metric.perStage else {
                throw stageField.error("metric '\(metricName)' is the whole workflow's; remove 'stage'")
            }
            guard stageNames.contains(stage) else {
                throw stageField.error("no stage named '\(stage)'; stages are: \(stageNames.joined(separator: ", "))")
            }
            rule.stage = stage
        }
        return rule
    }
}
