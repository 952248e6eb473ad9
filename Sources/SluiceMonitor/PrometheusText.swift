/// The monitor's figures in the Prometheus text format, for a `/metrics` endpoint.
///
/// Distributions are summaries: the quantiles (0.5, 0.9, 0.99) are over the current
/// sliding window (the first configured one; an empty window gives NaN, as client
/// libraries do), while `_sum` and `_count` are since start, as Prometheus expects of
/// counters. Times are in seconds, the base unit. Gauges carry the window's rates and the
/// replica advice; `_total` counters are since start.
///
/// Why this is rendered by hand and not through swift-metrics / swift-prometheus (which
/// the workers use, docs/metrics.md): these quantiles are over a sliding window of the
/// events' own hop timestamps, recomputed from the monitor's HDR histograms at each tick,
/// and swift-prometheus has no summary type, only cumulative histograms and counters
/// that the process itself increments. The monitor's figures are derived from other
/// processes' records, not recorded as they happen, so they are written here as they are.
public enum PrometheusText {
    /// `workflow` labels the two figures an autoscaler reads (`sluice_stage_replicas_needed`,
    /// `sluice_stage_lag`), which the workers export under the same names and labels.
    public static func render(current: MetricsSnapshot, sinceStart: MetricsSnapshot, workflow: String? = nil) -> String
    {
        var writer = PrometheusWriter()
        let scaling: (String) -> [(String, String)] = { stage in
            (workflow.map { [("workflow", $0)] } ?? []) + [("stage", stage)]
        }
        let window = current.windowName
        func summary(
            _ name: String, help: String, scale: Double,
            _ rows: [(labels: [(String, String)], now: DistributionSummary, all: DistributionSummary)]
        ) {
            writer.family(name, type: "summary", help: "\(help) (quantiles over the last \(window))")
            for row in rows {
                for (quantile, value) in [("0.5", row.now.p50), ("0.9", row.now.p90), ("0.99", row.now.p99)] {
                    writer.sample(
                        name, row.labels + [("quantile", quantile)], row.now.count > 0 ? Double(value) / scale : .nan)
                }
                writer.sample(name + "_sum", row.labels, Double(row.all.sum) / scale)
                writer.sample(name + "_count", row.labels, Int64(row.all.count))
            }
        }
        func pairs(_ stage: StageFigures) -> (StageFigures, StageFigures) {
            (stage, sinceStart.stage(stage.stage) ?? stage)
        }
        let stages = current.stages.map(pairs)
        summary(
            "sluice_stage_processing_seconds",
            help: "Processing time per event (process time of its batch / batch size)",
            scale: 1e6, stages.map { ([("stage", $0.0.stage)], $0.0.processingPerEvent, $0.1.processingPerEvent) })
        summary(
            "sluice_stage_batch_processing_seconds", help: "Processing time per micro-batch", scale: 1e6,
            stages.map { ([("stage", $0.0.stage)], $0.0.processingPerBatch, $0.1.processingPerBatch) })
        summary(
            "sluice_stage_batch_size_events", help: "Events per micro-batch", scale: 1,
            stages.map { ([("stage", $0.0.stage)], $0.0.batchSize, $0.1.batchSize) })
        let hops = current.hops.map { ($0, sinceStart.hop($0.hop) ?? $0) }
        summary(
            "sluice_hop_delay_seconds", help: "Delay between a producer and the next stage consuming", scale: 1e6,
            hops.map { ([("hop", $0.0.hop)], $0.0.delay, $0.1.delay) })
        summary(
            "sluice_end_to_end_seconds", help: "Time from created_at to the last stage producing", scale: 1e6,
            [([], current.endToEnd, sinceStart.endToEnd)])

        writer.family("sluice_stage_events_total", type: "counter", help: "Events processed by the stage")
        for (_, all) in stages { writer.sample("sluice_stage_events_total", [("stage", all.stage)], Int64(all.events)) }
        writer.family(
            "sluice_stage_dead_letters_total", type: "counter", help: "Records the stage sent to the dead-letter topic")
        for (_, all) in stages {
            writer.sample("sluice_stage_dead_letters_total", [("stage", all.stage)], Int64(all.deadLetters))
        }
        writer.family(
            "sluice_hop_negative_delays_clamped_total", type: "counter",
            help: "Negative delays (clock skew between machines) recorded as 0")
        for (_, all) in hops {
            writer.sample("sluice_hop_negative_delays_clamped_total", [("hop", all.hop)], Int64(all.negativeClamped))
        }

        func gauge(_ name: String, _ help: String, _ rows: [([(String, String)], Double?)]) {
            writer.family(name, type: "gauge", help: help)
            for (labels, value) in rows { if let value { writer.sample(name, labels, value) } }
        }
        let now = current.stages
        gauge(
            "sluice_stage_throughput_events_per_second", "Events per second through the stage over the last \(window)",
            now.map { ([("stage", $0.stage)], $0.throughput) })
        gauge(
            "sluice_stage_error_ratio", "Dead letters / (events + dead letters) over the last \(window)",
            now.map { ([("stage", $0.stage)], $0.errorRate) })
        gauge(
            "sluice_stage_replicas", "Replicas the stage has (consumer group members)",
            now.map { ([("stage", $0.stage)], $0.replicas.map(Double.init)) })
        gauge(
            "sluice_stage_replicas_needed", "Replicas needed: ceil(arrival rate x per-event time / target utilisation)",
            now.map { (scaling($0.stage), $0.replicasNeeded.map(Double.init)) })
        gauge(
            "sluice_stage_input_rate_events_per_second",
            "Events per second arriving on the stage's input topic (its high watermarks' growth)",
            now.map { ([("stage", $0.stage)], $0.inputRate) })
        gauge(
            "sluice_stage_utilisation_ratio", "Arrival rate x per-event time / replicas",
            now.map { ([("stage", $0.stage)], $0.utilisation) })
        gauge(
            "sluice_stage_stall_seconds", "Seconds without progress while work waits",
            now.map { ([("stage", $0.stage)], $0.stallSeconds) })
        gauge(
            "sluice_stage_consumer_lag", "Records waiting for the stage's consumer group, all partitions",
            now.map { ([("stage", $0.stage)], $0.lag.map { Double($0.total) }) })
        gauge(
            "sluice_stage_lag",
            "Records waiting for the stage's consumer group, all partitions (as the workers export it)",
            now.map { (scaling($0.stage), $0.lag.map { Double($0.total) }) })
        writer.family(
            "sluice_consumer_lag", type: "gauge", help: "Records waiting per partition of the stage's input topic")
        for stage in now {
            for partition in stage.lag?.partitions ?? [] {
                writer.sample(
                    "sluice_consumer_lag", [("stage", stage.stage), ("partition", String(partition.partition))],
                    partition.lag)
            }
        }
        gauge(
            "sluice_arrival_rate_events_per_second", "Events per second entering the workflow over the last \(window)",
            [([], current.arrivalRate)])
        gauge(
            "sluice_processing_efficiency_ratio",
            "Mean share of end-to-end time spent processing over the last \(window)",
            [([], current.efficiency)])
        gauge(
            "sluice_target_utilisation_ratio", "Utilisation the replica advice sizes for",
            [([], current.targetUtilisation)])
        let canaries = sinceStart.canaries
        if !canaries.isEmpty {
            func labels(_ c: CanaryFigures) -> [(String, String)] {
                [("stage", c.stage), ("head_version", c.activeVersion), ("canary_version", c.canaryVersion)]
            }
            writer.family(
                "sluice_canary_events_total", type: "counter",
                help: "Events scored by both the active and the canary head")
            for c in canaries { writer.sample("sluice_canary_events_total", labels(c), Int64(c.compared)) }
            writer.family(
                "sluice_canary_agreements_total", type: "counter",
                help: "Of those, events both heads gave the same label")
            for c in canaries { writer.sample("sluice_canary_agreements_total", labels(c), Int64(c.agreed)) }
            gauge(
                "sluice_canary_agreement_ratio", "Agreements / events scored by both heads, since start",
                canaries.map { (labels($0), $0.agreement) })
            writer.family(
                "sluice_canary_score", type: "gauge",
                help: "Score quantiles of the events scored by both heads (head=active|canary), since start")
            for c in canaries {
                for (head, s) in [("active", c.activeScores), ("canary", c.canaryScores)] where s.count > 0 {
                    for (q, v) in [("0.1", s.p10), ("0.5", s.p50), ("0.9", s.p90)] {
                        writer.sample("sluice_canary_score", labels(c) + [("head", head), ("quantile", q)], v)
                    }
                }
            }
        }
        return writer.text
    }
}
