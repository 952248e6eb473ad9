/// `autoscale: {min, max, cooldown_s}` of a stage: the bounds `sluice up --autoscale`
/// keeps the stage's worker count in while it follows the monitor's replica advice.
public struct AutoscaleSpec: Sendable, Equatable {
    public var min = 1
    /// nil: up to the partition count of the stage's input topic (a worker past it would sit idle).
    public var max: Int?
    /// How long the advice must stay below the worker count before a worker is stopped,
    /// and the least time between two changes of the stage's size.
    public var cooldownSeconds: Double = 30

    public init(min: Int = 1, max: Int? = nil, cooldownSeconds: Double = 30) {
        self.min = min
        self.max = max
        self.cooldownSeconds = cooldownSeconds
    }
}

extension StageSpec {
    static func parseAutoscale(_ field: YAMLField, into stage: inout StageSpec) throws(WorkflowError) {
        var spec = AutoscaleSpec()
        for (key, value) in try field.mapping(allowed: ["min", "max", "cooldown_s"]) {
            switch key {
            case "min": spec.min = try value.int(atLeast: 1)
            case "max": spec.max = try value.int(atLeast: 1)
            default: spec.cooldownSeconds = try value.double(in: 0...3600)
            }
        }
        if let max = spec.max, max < spec.min {
            throw field.error("'autoscale' has max \(max) below min \(spec.min); max must be at least min")
        }
        stage.autoscale = spec
    }
}
