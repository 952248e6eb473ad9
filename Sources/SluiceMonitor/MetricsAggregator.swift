import SluiceEvents
import SluiceWorkflow

/// The monitor's measuring core: fed finished envelopes (from the workflow's output
/// topic) and dead-letter notices, it keeps per-stage, per-hop and end-to-end figures
/// per one-second bucket and since start, and answers snapshots over any configured
/// sliding window. No clock of its own: every call takes `now` (epoch µs), so the
/// Kafka loop passes the wall clock and tests pass exact times.
///
/// Each figure is bucketed by its own event time: a stage's processing by its hop's
/// produced_at, a delay by the consuming side's consumed_at, end to end and efficiency
/// by the last produced_at, arrivals by created_at.
public struct MetricsAggregator: Sendable {
    public static let bucketMicros: Int64 = 1_000_000

    public let windowsSeconds: [Int]
    public let targetUtilisation: Double
    public let startedAt: Int64
    /// Stages in workflow order; a stage first seen in a hop is appended.
    public private(set) var stageNames: [String]
    public private(set) var hopNames: [String] = []

    private let buckets: Int
    private var stages: [String: StageAccumulator] = [:]
    private var hops: [String: HopAccumulator] = [:]
    private var endToEnd: Windowed<LatencyHistogram>
    private var endToEndNegative: Windowed<Tally>
    private var efficiency: Windowed<Tally>
    private var arrivals: Windowed<Tally>
    private var canaries: CanaryTally

    /// `stageOfResult` names the stage that writes each result key, for canary figures
    /// (`sentiment` and `label` by default, each reported under its key).
    public init(
        stages: [String], windowsSeconds: [Int] = [10, 60], targetUtilisation: Double = 0.7, startedAt: Int64,
        stageOfResult: [String: String] = [:]
    ) {
        canaries = CanaryTally(stageOfResult: stageOfResult)
        self.windowsSeconds = windowsSeconds.isEmpty ? [10, 60] : windowsSeconds
        self.targetUtilisation = targetUtilisation
        self.startedAt = startedAt
        // One spare bucket so that the oldest bucket of the longest window is never overwritten early.
        buckets = (self.windowsSeconds.max() ?? 60) + 1
        endToEnd = Windowed(bucketMicros: Self.bucketMicros, buckets: buckets)
        endToEndNegative = Windowed(bucketMicros: Self.bucketMicros, buckets: buckets)
        efficiency = Windowed(bucketMicros: Self.bucketMicros, buckets: buckets)
        arrivals = Windowed(bucketMicros: Self.bucketMicros, buckets: buckets)
        stageNames = []
        for stage in stages { addStage(stage) }
    }

    /// Windows, utilisation target and stages from a workflow file.
    public init(workflow: Workflow, startedAt: Int64) {
        self.init(
            stages: workflow.stages.map(\.name), windowsSeconds: workflow.monitor.windowsSeconds,
            targetUtilisation: workflow.monitor.targetUtilisation, startedAt: startedAt,
            stageOfResult: Dictionary(
                workflow.stages.compactMap { stage -> (String, String)? in
                    switch stage.task {
                    case .sentiment: return ("sentiment", stage.name)
                    case .classify: return ("label", stage.name)
                    default: return nil
                    }
                }, uniquingKeysWith: { first, _ in first }))
    }

    /// One finished envelope, read from the output topic at monitor time `now`.
    /// Envelopes without hops carry no measurement and are ignored.
    public mutating func record(_ envelope: Envelope, now: Int64) {
        guard let last = envelope.hops.last else { return }
        canaries.record(envelope.results)
        arrivals.update(at: envelope.createdAt) { $0.record() }
        var processing: Int64 = 0
        for (index, hop) in envelope.hops.enumerated() {
            addStage(hop.stage)
            processing += stages[hop.stage]!.record(hop, now: now)
            let previous = index == 0 ? nil : envelope.hops[index - 1]
            let name = "\(previous?.stage ?? "input")->\(hop.stage)"
            addHop(name)
            hops[name]!.record(from: previous?.producedAt ?? envelope.createdAt, to: hop.consumedAt)
        }
        let total = last.producedAt - envelope.createdAt
        endToEnd.update(at: last.producedAt) { $0.record(Swift.max(0, total)) }
        if total < 0 { endToEndNegative.update(at: last.producedAt) { $0.record() } }
        // An event with no measurable end-to-end time says nothing about efficiency.
        if total > 0 {
            let share = Swift.min(1, Double(processing) / Double(total))
            efficiency.update(at: last.producedAt) { $0.record(share) }
        }
    }

    public mutating func recordDeadLetter(_ notice: DeadLetterNotice) {
        addStage(notice.stage)
        stages[notice.stage]!.deadLetters.update(at: notice.at) { $0.record() }
    }

    /// Replicas the stage has now, from its consumer group's membership.
    public mutating func setReplicas(_ replicas: Int, stage: String) {
        addStage(stage)
        stages[stage]!.replicas = replicas
    }

    /// The latest lag of the stage's group; committed offsets moving on count as progress.
    public mutating func observeLag(_ report: LagReport, stage: String, now: Int64) {
        addStage(stage)
        if let previous = stages[stage]!.lag, report.committedSum > previous.committedSum {
            stages[stage]!.lastProgress = Swift.max(stages[stage]!.lastProgress, now)
        }
        stages[stage]!.lag = report
        stages[stage]!.inputRate.observe(offsets: report.highWatermarkSum, at: now)
    }

    /// One snapshot per configured window, then one since start.
    public func snapshots(now: Int64) -> [MetricsSnapshot] {
        windowsSeconds.map { snapshot(windowSeconds: $0, now: now) } + [snapshot(windowSeconds: nil, now: now)]
    }

    /// Figures over the last `windowSeconds` (nil: since start) at `now`. The ring keeps
    /// only the longest configured window's buckets, so ask for configured windows: a longer
    /// one would silently cover only that much while dividing rates by its full length.
    public func snapshot(windowSeconds: Int?, now: Int64) -> MetricsSnapshot {
        let span = windowSeconds.map(Double.init) ?? Swift.max(1e-6, Double(now - startedAt) / 1e6)
        let arrived = arrivals.value(seconds: windowSeconds, now: now)
        let lambda = Double(arrived.count) / span
        var stageFigures: [StageFigures] = []
        var deadLetterTotal = 0
        for name in stageNames {
            let stage = stages[name]!
            let perEvent = stage.perEvent.value(seconds: windowSeconds, now: now).summary()
            let events = Int(stage.events.value(seconds: windowSeconds, now: now).count)
            let deadLetters = Int(stage.deadLetters.value(seconds: windowSeconds, now: now).count)
            deadLetterTotal += deadLetters
            let d = perEvent.mean / 1e6
            var figures = StageFigures(
                stage: name, events: events, deadLetters: deadLetters,
                errorRate: events + deadLetters > 0 ? Double(deadLetters) / Double(events + deadLetters) : nil,
                throughput: Double(events) / span, processingPerEvent: perEvent,
                processingPerBatch: stage.perBatch.value(seconds: windowSeconds, now: now).summary(),
                batchSize: stage.batchSize.value(seconds: windowSeconds, now: now).summary(),
                replicas: stage.replicas, replicasNeeded: nil, utilisation: nil, capacity: nil, lag: stage.lag,
                stallSeconds: stage.lag?.total == 0 ? 0 : Swift.max(0, Double(now - stage.lastProgress) / 1e6))
            figures.inputRate = stage.inputRate.rate(seconds: windowSeconds, now: now)
            if perEvent.count > 0 {
                // The stage's own input rate when the probes measured it: see `InputRate` for why.
                let rate = figures.inputRate ?? lambda
                figures.replicasNeeded = ReplicaAdvice.needed(
                    arrivalRate: rate, perEventSeconds: d, targetUtilisation: targetUtilisation)
                if let replicas = stage.replicas {
                    figures.utilisation = ReplicaAdvice.utilisation(
                        arrivalRate: rate, perEventSeconds: d, replicas: replicas)
                    figures.capacity = ReplicaAdvice.capacity(perEventSeconds: d, replicas: replicas)
                }
            }
            stageFigures.append(figures)
        }
        let hopFigures = hopNames.map { name in
            HopFigures(
                hop: name, delay: hops[name]!.delay.value(seconds: windowSeconds, now: now).summary(),
                negativeClamped: Int(hops[name]!.negativeClamped.value(seconds: windowSeconds, now: now).count))
        }
        let endToEndSummary = endToEnd.value(seconds: windowSeconds, now: now).summary()
        return MetricsSnapshot(
            at: now, windowSeconds: windowSeconds, spanSeconds: span, arrivalRate: lambda,
            events: endToEndSummary.count, deadLetters: deadLetterTotal, endToEnd: endToEndSummary,
            endToEndNegativeClamped: Int(endToEndNegative.value(seconds: windowSeconds, now: now).count),
            efficiency: efficiency.value(seconds: windowSeconds, now: now).mean,
            targetUtilisation: targetUtilisation, stages: stageFigures, hops: hopFigures, canaries: canaries.figures)
    }

    private mutating func addStage(_ name: String) {
        guard stages[name] == nil else { return }
        stages[name] = StageAccumulator(bucketMicros: Self.bucketMicros, buckets: buckets, startedAt: startedAt)
        // Hops of a known order exist (with zero counts) from the start, so outputs keep their shape.
        addHop("\(stageNames.last ?? "input")->\(name)")
        stageNames.append(name)
    }

    private mutating func addHop(_ name: String) {
        guard hops[name] == nil else { return }
        hops[name] = HopAccumulator(bucketMicros: Self.bucketMicros, buckets: buckets)
        hopNames.append(name)
    }
}
