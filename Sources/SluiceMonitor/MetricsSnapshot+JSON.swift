import SluiceJSON

/// The metrics-topic record of one snapshot. Times stay in microseconds (as in the
/// envelope), rates in events per second; unknown figures are null, not 0.
extension MetricsSnapshot {
    public func json() -> JSONValue {
        .object([
            "at": .int(at),
            "window": .string(windowName),
            "window_s": windowSeconds.map { .int(Int64($0)) } ?? .null,
            "span_s": .double(spanSeconds),
            "arrival_rate": .double(arrivalRate),
            "events": .int(Int64(events)),
            "dead_letters": .int(Int64(deadLetters)),
            "end_to_end_us": endToEnd.json(),
            "end_to_end_negative_clamped": .int(Int64(endToEndNegativeClamped)),
            "efficiency": efficiency.map(JSONValue.double) ?? .null,
            "target_utilisation": .double(targetUtilisation),
            "stages": .array(stages.map { $0.json() }),
            "hops": .array(hops.map { $0.json() }),
            "canaries": .array(canaries.map { $0.json() }),
        ])
    }
}

extension DistributionSummary {
    public func json() -> JSONValue {
        .object([
            "count": .int(Int64(count)), "mean": .double(mean), "p50": .int(p50), "p90": .int(p90),
            "p99": .int(p99), "max": .int(max),
        ])
    }
}

extension StageFigures {
    public func json() -> JSONValue {
        .object([
            "stage": .string(stage),
            "events": .int(Int64(events)),
            "dead_letters": .int(Int64(deadLetters)),
            "error_rate": errorRate.map(JSONValue.double) ?? .null,
            "throughput": .double(throughput),
            "processing_per_event_us": processingPerEvent.json(),
            "processing_per_batch_us": processingPerBatch.json(),
            "batch_size": batchSize.json(),
            "replicas": replicas.map { .int(Int64($0)) } ?? .null,
            "input_rate": inputRate.map(JSONValue.double) ?? .null,
            "replicas_needed": replicasNeeded.map { .int(Int64($0)) } ?? .null,
            "utilisation": utilisation.map(JSONValue.double) ?? .null,
            "capacity": capacity.map(JSONValue.double) ?? .null,
            "lag": lag.map { .int($0.total) } ?? .null,
            "lag_partitions": lag.map { report in
                .array(
                    report.partitions.map { .object(["partition": .int(Int64($0.partition)), "lag": .int($0.lag)]) })
            } ?? .null,
            "stall_s": .double(stallSeconds),
        ])
    }
}

extension HopFigures {
    public func json() -> JSONValue {
        .object(["hop": .string(hop), "delay_us": delay.json(), "negative_clamped": .int(Int64(negativeClamped))])
    }
}
