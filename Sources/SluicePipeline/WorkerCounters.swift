import Foundation
import Metrics

/// What a worker has done so far; read from any thread.
///
/// Every change is recorded twice: into the snapshot, which code in the process
/// reads (the registry announcer's heartbeat, tests, benchmarks), and through
/// swift-metrics, which a process that bootstrapped a backend exports (`sluice
/// worker` serves them at /metrics, see docs/metrics.md). Without a bootstrapped
/// backend the swift-metrics side is a no-op. The names are in `WorkerMetricNames`.
public final class WorkerCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var values = Snapshot()
    private let instruments: Instruments

    public struct Snapshot: Sendable, Equatable {
        public var batches = 0
        public var processed = 0
        public var deadLettered = 0
        /// Times the producer queue filled and the worker paused its partitions.
        public var pauses = 0
        /// Times the worker rejoined its group after a failed delivery or transaction.
        public var rejoins = 0
        /// Batches whose delivery or transaction failed (each one ends the session: a rejoin).
        public var deliveryFailures = 0
        /// When the last rejoin happened; nil before the first.
        public var lastRejoinAt: Date?
        public var assigned: [String] = []
        /// Batches handed to the producer whose acknowledgements and commit are still to come.
        public var batchesInFlight = 0
        /// The step's time summed over every batch delivered: with `processed`, the time per record.
        public var stepNanoseconds: Int64 = 0
    }

    /// - Parameters:
    ///   - dimensions: labels on every metric, e.g. `[("workflow", "w"), ("stage", "s")]`.
    ///   - factory: where the metrics go; the process-wide `MetricsSystem.factory` unless given.
    public init(dimensions: [(String, String)] = [], factory: (any MetricsFactory)? = nil) {
        instruments = Instruments(dimensions: dimensions, factory: factory ?? MetricsSystem.factory)
    }

    public var snapshot: Snapshot {
        lock.lock()
        defer { lock.unlock() }
        return values
    }

    func update(_ change: (inout Snapshot) -> Void) {
        lock.lock()
        change(&values)
        lock.unlock()
    }

    /// One batch delivered and committed: its size, its dead letters by reason, and how long the step took.
    func batchDone(records: Int, deadLetterReasons: [String], stepNanoseconds: Int64) {
        update { counts in
            counts.batches += 1
            counts.processed += records
            counts.deadLettered += deadLetterReasons.count
            counts.stepNanoseconds += stepNanoseconds
        }
        instruments.batches.increment()
        instruments.processed.increment(by: records)
        instruments.batchSize.record(records)
        instruments.stepTime.recordNanoseconds(stepNanoseconds)
        var byReason: [String: Int] = [:]
        for reason in deadLetterReasons { byReason[reason, default: 0] += 1 }
        for (reason, count) in byReason { instruments.deadLetters(reason).increment(by: count) }
    }

    func paused() {
        update { $0.pauses += 1 }
        instruments.pauses.increment()
    }

    func rejoined(afterDeliveryFailure: Bool) {
        update {
            $0.rejoins += 1
            $0.lastRejoinAt = Date()
            if afterDeliveryFailure { $0.deliveryFailures += 1 }
        }
        instruments.rejoins.increment()
        if afterDeliveryFailure { instruments.deliveryFailures.increment() }
    }

    func inFlight(_ batches: Int) {
        update { $0.batchesInFlight = batches }
        instruments.inFlight.record(batches)
    }

    func assignment(_ partitions: [String]) {
        update { $0.assigned = partitions }
        instruments.assigned.record(partitions.count)
    }

    /// The swift-metrics handles; the dead-letter counters are made on first use of each reason.
    private final class Instruments: @unchecked Sendable {
        let processed: Counter
        let batches: Counter
        let batchSize: Recorder
        let stepTime: Metrics.Timer
        let pauses: Counter
        let rejoins: Counter
        let deliveryFailures: Counter
        let assigned: Gauge
        let inFlight: Gauge
        private let dimensions: [(String, String)]
        private let factory: any MetricsFactory
        private let lock = NSLock()
        private var deadLetterCounters: [String: Counter] = [:]

        init(dimensions: [(String, String)], factory: any MetricsFactory) {
            self.dimensions = dimensions
            self.factory = factory
            typealias Names = WorkerMetricNames
            processed = Counter(label: Names.processed, dimensions: dimensions, factory: factory)
            batches = Counter(label: Names.batches, dimensions: dimensions, factory: factory)
            batchSize = Recorder(label: Names.batchSize, dimensions: dimensions, aggregate: true, factory: factory)
            stepTime = Metrics.Timer(label: Names.stepTime, dimensions: dimensions, factory: factory)
            pauses = Counter(label: Names.pauses, dimensions: dimensions, factory: factory)
            rejoins = Counter(label: Names.rejoins, dimensions: dimensions, factory: factory)
            deliveryFailures = Counter(label: Names.deliveryFailures, dimensions: dimensions, factory: factory)
            assigned = Gauge(label: Names.assignedPartitions, dimensions: dimensions, factory: factory)
            inFlight = Gauge(label: Names.batchesInFlight, dimensions: dimensions, factory: factory)
        }

        func deadLetters(_ reason: String) -> Counter {
            lock.withLock {
                if let counter = deadLetterCounters[reason] { return counter }
                let counter = Counter(
                    label: WorkerMetricNames.deadLetters, dimensions: dimensions + [("reason", reason)],
                    factory: factory)
                deadLetterCounters[reason] = counter
                return counter
            }
        }
    }
}

/// The names a worker's metrics are exported under (docs/metrics.md says what each means).
/// Every one carries the labels `workflow` and `stage`; the dead letters also `reason`.
public enum WorkerMetricNames {
    public static let processed = "sluice_worker_records_processed_total"
    public static let batches = "sluice_worker_batches_total"
    public static let deadLetters = "sluice_worker_dead_letters_total"
    /// A histogram of records per batch (a swift-metrics `Recorder`).
    public static let batchSize = "sluice_worker_batch_size"
    /// A histogram of the step's time per batch, in seconds (a swift-metrics `Timer`).
    public static let stepTime = "sluice_worker_step_seconds"
    public static let pauses = "sluice_worker_backpressure_pauses_total"
    public static let rejoins = "sluice_worker_rejoins_total"
    public static let deliveryFailures = "sluice_worker_delivery_failures_total"
    public static let assignedPartitions = "sluice_worker_assigned_partitions"
    public static let batchesInFlight = "sluice_worker_batches_in_flight"
    /// The stage's replica advice as this worker computes it (`StageLoadProbe`); the monitor
    /// exports the same name and labels, so an autoscaler can read either.
    public static let replicasNeeded = "sluice_stage_replicas_needed"
    /// Records waiting for the stage's consumer group, over all partitions of its input topic.
    public static let stageLag = "sluice_stage_lag"

    /// Upper bounds for the batch-size histogram: powers of two up to 4096.
    public static let batchSizeBuckets: [Double] = (0...12).map { Double(1 << $0) }
    /// Upper bounds for the step-time histogram, in seconds: 1 ms to 30 s.
    public static let stepTimeBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2_500), .seconds(5), .seconds(10), .seconds(30),
    ]
}
