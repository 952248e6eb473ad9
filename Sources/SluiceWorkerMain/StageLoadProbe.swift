import Foundation
import Logging
import Metrics
import SluiceKafka
import SluiceLifecycle
import SluiceMonitor
import SluicePipeline
import SluiceWorkflow

/// Exports, from a worker, the two figures an autoscaler needs about its stage: the
/// group's lag on the stage's input topic and the replica advice, as gauges
/// `sluice_stage_lag` and `sluice_stage_replicas_needed` labelled workflow and stage.
///
/// Every `intervalSeconds` it asks the broker for the group's committed offsets and the
/// input's high watermarks (its own admin client and group reader, on a thread of their
/// own, so a slow answer never holds the consuming thread). The advice is the monitor's formula, `ReplicaAdvice`, with the
/// input topic's arrival rate from the watermarks' growth (`InputRate`) and this worker's
/// own step time per record over the workflow's first monitor window. Each replica thus
/// exports the whole stage's advice; an autoscaler takes the max over them.
final class StageLoadProbe: BlockingRunnable, @unchecked Sendable {
    private let workflow: Workflow
    private let stage: StageSpec
    private let brokers: String
    private let properties: [String: String]
    private let counters: WorkerCounters
    private let logger: Logger
    private let intervalSeconds: Double
    private let windowSeconds: Int
    private let stopRequest = Latch()
    private let lag: Gauge
    private let needed: Gauge
    private var rate: InputRate
    /// (µs, records processed, step ns) per probe, over the window: the step time per record.
    private var work: [(at: Int64, processed: Int, stepNanoseconds: Int64)] = []

    init(
        workflow: Workflow, stage: StageSpec, brokers: String, properties: [String: String], counters: WorkerCounters,
        logger: Logger, intervalSeconds: Double = 3
    ) {
        self.workflow = workflow
        self.stage = stage
        self.brokers = brokers
        self.properties = properties
        self.counters = counters
        self.logger = logger
        self.intervalSeconds = intervalSeconds
        windowSeconds = workflow.monitor.windowsSeconds.first ?? 10
        rate = InputRate(keepSeconds: windowSeconds)
        let labels = [("workflow", workflow.name), ("stage", stage.name)]
        lag = Gauge(label: WorkerMetricNames.stageLag, dimensions: labels)
        needed = Gauge(label: WorkerMetricNames.replicasNeeded, dimensions: labels)
    }

    /// The probes run on a thread of their own and `run` only waits for the stop, so a
    /// stop never waits for a probe in hand (up to its timeouts against a broker that is
    /// down); that thread ends at its next look at the stop request.
    func run() throws {
        let thread = Thread { [self] in probeLoop() }
        thread.name = "sluice.stage-load-probe"
        thread.start()
        stopRequest.wait()
    }

    private func probeLoop() {
        // Stay off the broker while the worker joins its group (up to 10 s): the figures can
        // wait, the join should not share the group coordinator with the probe's first lookups.
        let joining = Date()
        while counters.snapshot.assigned.isEmpty, Date().timeIntervalSince(joining) < 10 {
            if stopRequest.wait(seconds: 0.25) { return }
        }
        let admin: KafkaAdmin
        let reader: KafkaConsumer
        do {
            let common = KafkaConfig(bootstrapServers: brokers, clientID: "sluice-probe", properties: properties)
            admin = try KafkaAdmin(config: common)
            // One reader of the group's committed offsets for the worker's life (it never
            // subscribes, so it is no member): KafkaAdmin.lag makes a consumer per call, which
            // would find the group's coordinator afresh every few seconds from every worker.
            reader = try KafkaConsumer(config: KafkaConsumerConfig(common: common, groupID: workflow.group(of: stage)))
        } catch {
            // The figures are for an autoscaler; the worker runs on without them.
            logger.warning("sluice_stage_lag and sluice_stage_replicas_needed not exported: \(error)")
            return
        }
        defer { reader.close() }
        repeat { probe(admin: admin, reader: reader) } while !stopRequest.wait(seconds: intervalSeconds)
    }

    func stop() { stopRequest.open() }

    private func probe(admin: KafkaAdmin, reader: KafkaConsumer) {
        let report: LagReport
        do throws(KafkaError) {
            // Short timeouts: a probe that fails is tried again at the next interval.
            let partitions = try admin.describeTopic(stage.input, timeoutMs: 2_000).partitions
                .map { KafkaTopicPartition(topic: stage.input, partition: $0) }
            let committed = try reader.committed(partitions, timeoutMs: 2_000)
            var rows: [(partition: Int32, high: Int64, committed: Int64?)] = []
            for partition in partitions {
                let marks = try admin.watermarks(topic: stage.input, partition: partition.partition, timeoutMs: 2_000)
                rows.append((partition.partition, marks.high, committed[partition] ?? nil))
            }
            report = LagReport.compute(rows)
        } catch {
            logger.debug("lag of \(workflow.group(of: stage)) on \(stage.input) unknown: \(error)")
            return
        }
        let now = Int64(Date().timeIntervalSince1970 * 1e6)
        lag.record(report.total)
        rate.observe(offsets: report.highWatermarkSum, at: now)
        let counts = counters.snapshot
        work.append((now, counts.processed, counts.stepNanoseconds))
        while work.count > 2, work[1].at <= now - Int64(windowSeconds) * 1_000_000 { work.removeFirst() }
        if let advice = Self.advice(
            rate: rate.rate(seconds: windowSeconds, now: now), work: work,
            targetUtilisation: workflow.monitor.targetUtilisation)
        {
            needed.record(advice)
        }
    }

    /// The advice from the arrival rate and the step time per record over the kept probes;
    /// nil until both are known (no rate yet, or no record processed in the window).
    static func advice(
        rate: Double?, work: [(at: Int64, processed: Int, stepNanoseconds: Int64)], targetUtilisation: Double
    ) -> Int? {
        guard let rate, let first = work.first, let last = work.last, last.processed > first.processed else {
            return rate == 0 ? 1 : nil
        }
        let perRecord =
            Double(last.stepNanoseconds - first.stepNanoseconds) / 1e9 / Double(last.processed - first.processed)
        return ReplicaAdvice.needed(arrivalRate: rate, perEventSeconds: perRecord, targetUtilisation: targetUtilisation)
    }
}
