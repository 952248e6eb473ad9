import SluiceJSON
import SluiceWorkflow

/// The workflow as the dashboard draws it: a box per stage with the monitor's latest
/// figures (shortest window) and the registry's live replicas, an edge per hop into a
/// stage with its delay, and whether each stage needs attention. Built per request from
/// memory (the monitor follower's view and the status view's last registry read).
enum DashboardWorkflow {
    /// Seconds without progress while events wait (the monitor's `stall_s`) that count as a stall
    /// when the workflow has no stall rule for the stage (its rule's threshold otherwise).
    static let defaultStallSeconds = 10.0

    static func json(workflow: Workflow, monitor: MonitorView.Snapshot, registry: JSONValue?) -> JSONValue {
        let metrics = monitor.metrics
        let figures = Dictionary(
            (metrics?["stages"]?.arrayValue ?? []).compactMap { stage in stage["stage"]?.stringValue.map { ($0, stage) }
            },
            uniquingKeysWith: { $1 })
        let hops = Dictionary(
            (metrics?["hops"]?.arrayValue ?? []).compactMap { hop in hop["hop"]?.stringValue.map { ($0, hop) } },
            uniquingKeysWith: { $1 })
        let live = Dictionary(
            (registry?["stages"]?.arrayValue ?? []).compactMap { row -> (String, Int)? in
                guard let stage = row["stage"]?.stringValue, let replicas = row["replicas"]?.intValue else {
                    return nil
                }
                return (stage, replicas)
            }, uniquingKeysWith: { $1 })
        let firingSubjects = Set(monitor.firing.compactMap { $0["subject"]?.stringValue })
        var stages: [JSONValue] = []
        var edges: [JSONValue] = []
        for stage in workflow.stages {
            let figure = figures[stage.name]
            let needed = figure?["replicas_needed"]?.intValue
            let lag = figure?["lag"]?.intValue
            let stall = figure?["stall_s"]?.doubleValue ?? 0
            let stallLimit =
                workflow.monitor.rules.first { $0.metric == .stallSeconds && $0.stage == stage.name }?.above
                ?? defaultStallSeconds
            var warnings: [String] = []
            if firingSubjects.contains(stage.name) { warnings.append("alert firing") }
            // The monitor counts stall_s only while work is waiting.
            if stall > stallLimit { warnings.append("stalled for \(Int(stall)) s") }
            if let replicas = live[stage.name] {
                if replicas == 0 {
                    warnings.append("no live worker")
                } else if let needed, needed > replicas {
                    warnings.append("falling behind: \(replicas) of \(needed) advised replicas")
                }
            }
            // Built field by field: one literal of this size is too slow for the type checker.
            func optionalInt(_ value: Int?) -> JSONValue { value.map { .int(Int64($0)) } ?? .null }
            var box: [String: JSONValue] = [
                "name": .string(stage.name), "task": .string(stage.task.description),
                "input": .string(stage.input), "output": .string(stage.output),
            ]
            box["throughput"] = figure?["throughput"] ?? .null
            box["processing_p50_us"] = figure?["processing_per_event_us"]?["p50"] ?? .null
            box["processing_p99_us"] = figure?["processing_per_event_us"]?["p99"] ?? .null
            box["processed"] = figure?["processing_per_event_us"]?["count"] ?? .null
            box["batch_size_mean"] = figure?["batch_size"]?["mean"] ?? .null
            box["lag"] = optionalInt(lag)
            box["stall_s"] = .double(stall)
            box["replicas_live"] = optionalInt(live[stage.name])
            box["replicas_needed"] = optionalInt(needed)
            box["replicas_configured"] = .int(Int64(stage.replicas))
            box["warnings"] = .array(warnings.map(JSONValue.string))
            stages.append(.object(box))
            // The hop into this stage: from the stage whose output it reads, else from the input.
            let from = workflow.stages.first { $0.output == stage.input }?.name ?? "input"
            let hop = hops["\(from)->\(stage.name)"]
            var edge: [String: JSONValue] = [
                "from": .string(from), "to": .string(stage.name), "topic": .string(stage.input),
            ]
            edge["delay_p50_us"] = hop?["delay_us"]?["p50"] ?? .null
            edge["delay_p99_us"] = hop?["delay_us"]?["p99"] ?? .null
            edge["count"] = hop?["delay_us"]?["count"] ?? .null
            edges.append(.object(edge))
        }
        var graph: [String: JSONValue] = [
            "input": .string(workflow.input), "output": .string(workflow.output),
            "stages": .array(stages), "edges": .array(edges),
        ]
        graph["window_s"] = metrics?["window_s"] ?? .null
        graph["at"] = metrics?["at"] ?? .null
        graph["end_to_end_us"] = metrics?["end_to_end_us"] ?? .null
        graph["canaries"] = metrics?["canaries"] ?? .array([])
        return .object(graph)
    }
}
