extension StageSpec {
    /// `batch: {size | max, wait_ms, latency_ms}`. `max` is another name for `size` (it reads
    /// better beside a latency goal: the batch is sized by the worker, up to it).
    static func parseBatch(_ field: YAMLField, into stage: inout StageSpec) throws(WorkflowError) {
        let entries = try field.mapping(allowed: ["size", "max", "wait_ms", "latency_ms"])
        let keys = entries.map(\.key)
        if keys.contains("size") && keys.contains("max") {
            throw field.error("'batch' has both 'size' and 'max', which mean the same; keep one")
        }
        var waitGiven = false
        for (key, value) in entries {
            switch key {
            case "size", "max": stage.batchSize = try value.int(atLeast: 1)
            case "wait_ms":
                stage.batchWaitMs = try value.int(atLeast: 0)
                waitGiven = true
            default: stage.batchLatencyMs = try value.int(atLeast: 1)
            }
        }
        if let goal = stage.batchLatencyMs, !waitGiven { stage.batchWaitMs = goal }
    }
}
