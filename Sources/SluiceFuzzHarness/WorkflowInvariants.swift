import SluiceWorkflow

/// What `Workflow.parse` promises about every workflow it returns: the checks a
/// worker would otherwise have to repeat. Each one names the part that broke it.
enum WorkflowInvariants {
    static func check(_ workflow: Workflow) throws(InvariantViolation) {
        let topicNames = workflow.topics.map(\.name)
        let declared = Set(topicNames)
        try require(declared.count == topicNames.count, "a topic is declared twice: \(topicNames)")
        try require(
            workflow.topics.allSatisfy { $0.partitions >= 1 && $0.replicationFactor >= 1 }, "a topic has no partition")
        for topic in [workflow.input, workflow.output, workflow.deadLetter] {
            try require(declared.contains(topic), "topic '\(topic)' is used but not declared")
        }
        let limits = workflow.limits
        try require(
            limits.maxTextBytes >= 1 && limits.maxReplayAttempts >= 1 && limits.maxInFlight >= 1, "a limit below 1")
        try require(!workflow.stages.isEmpty, "a workflow without stages")
        try require(workflow.stages.last?.output == workflow.output, "the last stage does not produce the output")
        try require(Set(workflow.stages.map(\.name)).count == workflow.stages.count, "a stage name is used twice")
        var embedded = false
        for stage in workflow.stages {
            try checkStage(stage, declared: declared)
            try require(!stage.task.needsEmbedding || embedded, "stage '\(stage.name)' has no embedding to read")
            embedded = embedded || stage.task == .embed
            _ = workflow.group(of: stage)
            if let head = stage.head { try require(!workflow.resolve(head).isEmpty, "head path resolves to nothing") }
        }
        try checkMonitor(workflow.monitor, declared: declared, stages: Set(workflow.stages.map(\.name)))
    }

    private static func checkStage(_ stage: StageSpec, declared: Set<String>) throws(InvariantViolation) {
        try require(
            declared.contains(stage.input) && declared.contains(stage.output),
            "stage '\(stage.name)' uses an undeclared topic")
        try require(stage.input != stage.output, "stage '\(stage.name)' reads its own output")
        try require(
            stage.batchSize >= 1 && stage.batchWaitMs >= 0 && (stage.batchLatencyMs ?? 1) >= 1 && stage.replicas >= 1,
            "stage '\(stage.name)' batch or replicas out of range")
        try require((0.001...10).contains(stage.temperature), "stage '\(stage.name)' temperature \(stage.temperature)")
        if stage.task == .classify {
            try require(
                stage.labels.count >= 2 || (stage.labels.isEmpty && stage.head != nil),
                "classify '\(stage.name)' has nothing to classify with")
        }
        try require(
            Set(stage.labels.map(\.name)).count == stage.labels.count, "a label of '\(stage.name)' is declared twice")
        try require(
            stage.labels.allSatisfy { !$0.descriptions.isEmpty }, "a label of '\(stage.name)' has no description")
    }

    private static func checkMonitor(_ monitor: MonitorSpec, declared: Set<String>, stages: Set<String>)
        throws(InvariantViolation)
    {
        let windows = monitor.windowsSeconds
        try require(
            !windows.isEmpty && windows[0] >= 1 && zip(windows, windows.dropFirst()).allSatisfy { $0 < $1 },
            "windows \(windows)")
        try require((0.05...1).contains(monitor.targetUtilisation), "target utilisation \(monitor.targetUtilisation)")
        for topic in [monitor.metricsTopic, monitor.alertsTopic, monitor.trendsTopic].compactMap({ $0 }) {
            try require(declared.contains(topic), "the monitor publishes to undeclared topic '\(topic)'")
        }
        try require(monitor.trendWindowSeconds >= 1, "trend window \(monitor.trendWindowSeconds)")
        try require(Set(monitor.rules.map(\.name)).count == monitor.rules.count, "an alert rule name is used twice")
        for rule in monitor.rules {
            try require(rule.above.isFinite && rule.above >= 0, "rule '\(rule.name)' threshold \(rule.above)")
            try require(
                rule.stage.map(stages.contains) ?? true, "rule '\(rule.name)' names a stage that does not exist")
        }
        let surge = monitor.surge
        try require(
            surge.minBaselineWindows <= surge.baselineWindows && surge.minCount >= 1, "surge settings out of range")
        try require(surge.z.isFinite && surge.stdFloor > 0, "surge z \(surge.z), floor \(surge.stdFloor)")
    }
}
