import Foundation
import Logging
import SluiceEvents
import SluiceKafka
import SluiceLifecycle
import SluiceRegistry
import SluiceWorkflow

/// One worker of a stage: a member of the consumer group `<workflow>.<stage>`.
///
/// Its loop, on the caller's thread (`run()` blocks):
/// 1. poll a micro-batch: up to the stage's batch size, waiting after the first
///    record as long as its `BatchPlanner` says (a fixed wait, or one planned
///    against the stage's latency goal);
/// 2. run the step once for the batch (`BatchProcessor`); a stage that allows it
///    (`Stage.concurrentBatches`) runs a second full batch beside the first, on threads of
///    their own (`StepLanes`), while this thread hands over and polls;
/// 3. hand every outcome (output or dead letter) to the producer, batch by batch in
///    input order, pausing the partitions while the producer queue is full;
/// 4. commit, for each partition, the offsets whose outputs were all
///    acknowledged (at-least-once, `AtLeastOnceWindow`: up to
///    `options.batchesInFlight` batches wait for their acknowledgements while the
///    next is polled and run), or commit the offsets inside the same transaction
///    as the outputs (exactly-once: one batch at a time).
/// Rebalances happen only inside poll, and a revoke first hands over the batches whose
/// steps run, waits for the batches in flight and commits what was acknowledged: no commit
/// can move past a record whose output the broker has not acknowledged.
///
/// A command runs it as a service: `BlockingService("worker", worker)` runs `run()`
/// on its own thread and calls `stop()` on graceful shutdown (SIGINT / SIGTERM).
public final class StageWorker: BlockingRunnable, @unchecked Sendable {
    public let workflow: Workflow
    public let stage: StageSpec
    public let options: WorkerOptions
    /// Also recorded through swift-metrics, labelled with the workflow and stage (`WorkerMetricNames`).
    public let counters: WorkerCounters
    let processor: BatchProcessor
    let step: any Stage
    let logger: Logger
    let deadLetterLog: RateLimitedLog
    private let stopLock = NSLock()
    private var stopping = false
    private var watcher: HeadWatcher?

    public init(workflow: Workflow, stage: StageSpec, step: any Stage, options: WorkerOptions, logger: Logger) {
        self.workflow = workflow
        self.stage = stage
        self.options = options
        self.logger = logger
        self.step = step
        self.counters = WorkerCounters(dimensions: [("workflow", workflow.name), ("stage", stage.name)])
        self.processor = BatchProcessor(
            workflow: workflow, stage: stage, step: step, worker: options.workerID,
            sizeLimit: RecordSizeLimit(properties: options.properties))
        self.deadLetterLog = RateLimitedLog(logger: logger)
    }

    /// Asks the loop to stop after the batch in hand is delivered and committed. Thread-safe.
    public func stop() {
        stopLock.lock()
        stopping = true
        stopLock.unlock()
    }

    /// Follows the control topic while `run()` runs, for a stage with a head and `options.controlTopic` set.
    public var headWatcher: HeadWatcher? { stopLock.withLock { watcher } }

    public var isStopping: Bool {
        stopLock.lock()
        defer { stopLock.unlock() }
        return stopping
    }

    /// Runs until `stop()`, then leaves the group cleanly. A failed delivery or
    /// transaction ends the session: the worker rejoins and resumes from the
    /// last committed offsets (never skipping what was not acknowledged).
    /// Throws only for errors that retrying cannot fix (bad configuration).
    public func run() throws {
        try TopicPreflight(workflow: workflow, stage: stage).check(
            config: KafkaConfig(
                bootstrapServers: options.brokers, clientID: "sluice-\(stage.name)", properties: options.properties),
            logger: logger, shouldStop: { isStopping })
        let watcher = startWatcher()
        defer { watcher?.stop() }
        let announcer = startAnnouncer()
        defer { announcer?.stop() }
        var backoff = 0.5
        while !isStopping {
            do {
                try runSession()
            } catch {
                guard Self.isRecoverable(error) else { throw error }
                counters.rejoined(afterDeliveryFailure: error is SessionRestart)
                logger.error("\(error); rejoining the group in \(backoff) s and resuming from the committed offsets")
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, 10)
            }
        }
    }

    /// `<workflow>/<stage>/<worker id>`: this worker's key in the registry.
    public var registryMember: String {
        Registry.memberID(workflow: workflow.name, stage: stage.name, instance: options.workerID)
    }

    /// Starts following the control topic, after reading it to its end so that the
    /// first batch already runs the deployed head. A control topic that cannot be
    /// read is logged and skipped: the stage runs the head it has.
    private func startWatcher() -> HeadWatcher? {
        guard let topic = options.controlTopic, let slot = step.headSlot else { return nil }
        let watcher = HeadWatcher(
            config: KafkaConfig(
                bootstrapServers: options.brokers, clientID: "sluice-control", properties: options.properties),
            topic: topic, workflow: workflow.name, stage: stage.name, slot: slot, logger: logger)
        do {
            try watcher.start()
        } catch {
            logger.warning(
                "not following the control topic \(topic): \(error); running head \(slot.current.active.version)")
            return nil
        }
        stopLock.withLock { self.watcher = watcher }
        logger.info("following \(topic) for \(workflow.name)/\(stage.name); head \(slot.current.active.version)")
        return watcher
    }

    /// Announces the worker in the registry when `options.registry` is set. A
    /// registry that cannot be used is logged and skipped: it never stops the work.
    private func startAnnouncer() -> RegistryAnnouncer? {
        guard let settings = options.registry else { return nil }
        let counters = self.counters
        let model = step.modelID
        let precision = step.precision
        let step = self.step
        let announcer = RegistryAnnouncer(
            config: KafkaConfig(
                bootstrapServers: options.brokers, clientID: "sluice-registry-\(stage.name)",
                properties: options.properties),
            settings: settings, kind: .worker, member: registryMember, workflow: workflow.name, stage: stage.name,
            logger: logger
        ) {
            let counts = counters.snapshot
            let degraded = counts.lastRejoinAt.map { Date().timeIntervalSince($0) < settings.degradedSeconds } ?? false
            return RegistryAnnouncer.Status(
                partitions: counts.assigned, health: degraded ? .degraded : .ok, rejoins: counts.rejoins,
                eventsProcessed: counts.processed, model: model, precision: precision, headVersion: step.headVersion,
                canaryVersion: step.headSlot?.current.canary?.version)
        }
        do {
            try announcer.start()
        } catch {
            logger.warning("not announcing in the registry \(settings.topic): \(error)")
            return nil
        }
        return announcer
    }

    /// Failed deliveries, transactions and lost connections are retried by
    /// rejoining; fatal client errors and bad configuration are not.
    static func isRecoverable(_ error: any Error) -> Bool {
        if error is SessionRestart { return true }
        guard let kafka = error as? KafkaError else { return false }
        return !kafka.isFatal && kafka.code != .invalidArgument && kafka.code != .unsupportedLibrary
    }

    private func runSession() throws {
        let rebalance = RebalanceTracker()
        let consumer = try KafkaConsumer(config: consumerConfig())
        let producer = try KafkaProducer(config: producerConfig())
        let backPressure = BackPressure(consumer: consumer, counters: counters, logger: logger)
        let delivery: any BatchDelivery
        if stage.delivery == .exactlyOnce {
            delivery = try ExactlyOnceDelivery(producer: producer, consumer: consumer)
        } else {
            delivery = AtLeastOnceWindow(
                producer: producer, consumer: consumer, logger: logger, counters: counters,
                limit: options.batchesInFlight)
        }
        // Exactly-once hands over one batch at a time inside a transaction: its step runs alone.
        let lanes = StepLanes(
            width: stage.delivery == .exactlyOnce ? 1 : options.concurrentBatches ?? step.concurrentBatches,
            processor: processor)
        let handler = RevokeDrain(delivery: delivery, backPressure: backPressure, lanes: lanes, logger: logger) {
            [unowned self] batch in try handOver(batch, to: delivery, backPressure: backPressure)
        }
        consumer.setRebalanceHandler { [counters, logger] event, epoch in
            // Before partitions go, finish and commit the batches in hand (they may hold theirs).
            if case .assigned = event {} else { handler.run() }
            rebalance.handle(event, epoch: epoch)
            counters.assignment(rebalance.current.map(\.description))
            logger.info("rebalance: \(event)")
        }
        defer {
            consumer.close()
            producer.close()
        }
        // After a failure, no step outlives the session (this runs before the close above).
        defer { lanes.abandon() }
        try consumer.subscribe(topics: [stage.input])
        logger.info(
            "worker \(options.workerID) joined group \(workflow.group(of: stage)): \(stage.input) -> \(stage.output), \(stage.delivery.rawValue)"
        )
        var planner = BatchPlanner(
            maxSize: stage.batchSize, waitMs: stage.batchWaitMs, latencyGoalMs: stage.batchLatencyMs)
        var lastHandOver = DispatchTime.now().uptimeNanoseconds
        var held = HeldRecords()
        func finish(_ batch: StepLanes.Batch) throws {
            try handOver(batch, to: delivery, backPressure: backPressure)
            // The cycle the planner sizes batches by: the step and the hand-over, less what
            // overlapped the batch before (with batches in flight the acknowledgements overlap
            // the next batch; waiting for room is counted).
            let now = DispatchTime.now().uptimeNanoseconds
            planner.batchDone(
                count: batch.records.count, newestTimestampMs: batch.records.compactMap(\.timestampMs).max(),
                costMs: Double(now - max(batch.startedAt, lastHandOver)) / 1e6)
            lastHandOver = now
        }
        while !isStopping {
            try delivery.retireFinished(backPressure: backPressure)
            try handler.rethrowFailure()
            while let batch = lanes.takeFinished() { try finish(batch) }
            if lanes.hasRoom {
                let records =
                    lanes.isBusy
                    ? try pollBeside(consumer, rebalance: rebalance, held: &held)
                    : try pollBatch(consumer, rebalance: rebalance, planner: planner, held: &held)
                // A revoke inside that poll handed the steps over and drained the window; a
                // failure it met ends the session.
                try delivery.retireFinished(backPressure: backPressure)
                try handler.rethrowFailure()
                if !records.isEmpty {
                    lanes.start(records)
                    continue
                }
            }
            if let batch = lanes.takeOldest() { try finish(batch) }
        }
        while let batch = lanes.takeOldest() { try finish(batch) }
        try delivery.drain(backPressure: backPressure)
        logger.info("worker \(options.workerID) stopping: last batch committed, leaving the group")
    }

    /// Hands a batch whose step is done to the delivery: its outputs and dead letters, in
    /// input order; the counters count it once the delivery has committed it.
    private func handOver(_ batch: StepLanes.Batch, to delivery: any BatchDelivery, backPressure: BackPressure)
        throws
    {
        var messages: [KafkaProducerMessage] = []
        var deadLetterReasons: [String] = []
        for (record, outcome) in zip(batch.records, batch.outcomes) {
            messages.append(message(for: outcome, from: record))
            if case .deadLetter(_, _, _, let reason) = outcome { deadLetterReasons.append(reason) }
        }
        let counters = self.counters
        let count = batch.records.count
        let stepNanoseconds = batch.stepNanoseconds
        try delivery.send(messages, consumed: batch.records, backPressure: backPressure) {
            counters.batchDone(records: count, deadLetterReasons: deadLetterReasons, stepNanoseconds: stepNanoseconds)
        }
    }

    private func message(for outcome: Outcome, from record: KafkaRecord) -> KafkaProducerMessage {
        switch outcome {
        case .output(let key, let value, let headers):
            return KafkaProducerMessage(topic: stage.output, key: key, value: value, headers: headers.kafkaHeaders)
        case .deadLetter(let key, let value, let headers, let reason):
            deadLetterLog.warning(
                "dead letter from \(record.topic)[\(record.partition)]@\(record.offset): \(reason); sent to \(workflow.deadLetter)"
            )
            return KafkaProducerMessage(
                topic: workflow.deadLetter, key: key, value: value, headers: headers.kafkaHeaders)
        }
    }

    /// Batches a partition's fetched records may hold before the consumer stops fetching it.
    static let prefetchBatches = 4

    private func consumerConfig() -> KafkaConsumerConfig {
        var properties = options.properties
        // A fetch returns at once when data is there, but an empty one waits this long on the
        // broker, which Tansu serves in full: keep it near the stage's batch wait, not 500 ms.
        properties["fetch.wait.max.ms"] = properties["fetch.wait.max.ms"] ?? String(max(5, min(stage.batchWaitMs, 50)))
        // librdkafka keeps fetching until a partition has `queued.min.messages` (100,000) in
        // hand, so a worker behind its input fetched again and again for records it would not
        // reach for seconds, and the embedded broker lists a partition's every stored batch on
        // each fetch: that prefetch was most of its CPU. A few batches a partition keep the
        // step fed (docs/benchmarks/cpu-budget.md); an idle worker fetches as before.
        properties["queued.min.messages"] =
            properties["queued.min.messages"] ?? String(StageWorker.prefetchBatches * stage.batchSize)
        // Cooperative: a rebalance revokes only the partitions that move, so the
        // others keep their batch in hand. `-X partition.assignment.strategy=...`
        // still picks another (eager ones work too: see RebalanceTracker).
        properties["partition.assignment.strategy"] =
            properties["partition.assignment.strategy"] ?? "cooperative-sticky"
        return KafkaConsumerConfig(
            common: KafkaConfig(
                bootstrapServers: options.brokers, clientID: "sluice-\(stage.name)", properties: properties),
            groupID: workflow.group(of: stage), autoOffsetReset: .earliest, isolationLevel: .readCommitted)
    }

    private func producerConfig() -> KafkaProducerConfig {
        var config = KafkaProducerConfig(
            common: KafkaConfig(
                bootstrapServers: options.brokers, clientID: "sluice-\(stage.name)", properties: options.properties),
            // No linger: a worker enqueues a whole batch at once and then waits for its
            // acknowledgements, so lingering only delays the next stage (5 ms a hop;
            // docs/latency.md). `-X linger.ms=N` still sets it.
            lingerMs: 0, maxQueuedMessages: workflow.limits.maxInFlight)
        if stage.delivery == .exactlyOnce {
            let slot = options.instance ?? options.workerID
            config.transactionalID = "\(workflow.group(of: stage)).\(slot)"
            let timeout = Int(config.common.properties["transaction.timeout.ms"] ?? "") ?? options.transactionTimeoutMs
            config.common.properties["transaction.timeout.ms"] = String(timeout)
            // librdkafka requires message.timeout.ms <= transaction.timeout.ms.
            config.messageTimeoutMs = min(config.messageTimeoutMs, timeout)
        }
        return config
    }
}

extension Outcome {
    var isDeadLetter: Bool {
        if case .deadLetter = self { return true }
        return false
    }
}

/// The rebalance handler's way to the worker's delivery: it runs on the worker's own
/// thread, inside poll (or close), so the delivery is never used from two threads.
private final class RevokeDrain: @unchecked Sendable {
    let delivery: any BatchDelivery
    let backPressure: BackPressure
    let lanes: StepLanes
    let handOver: (StepLanes.Batch) throws -> Void
    let logger: Logger
    /// A hand-over that failed in here, for the worker's loop to throw (the handler cannot).
    private var failure: (any Error)?

    init(
        delivery: any BatchDelivery, backPressure: BackPressure, lanes: StepLanes, logger: Logger,
        handOver: @escaping (StepLanes.Batch) throws -> Void
    ) {
        self.logger = logger
        self.delivery = delivery
        self.backPressure = backPressure
        self.lanes = lanes
        self.handOver = handOver
    }

    /// Steps still running hold records of the partitions about to go: they are handed over
    /// first, then every batch in flight is committed.
    func run() {
        do {
            if let failure { throw failure }
            var handed = 0
            while let batch = lanes.takeOldest() {
                try handOver(batch)
                handed += 1
            }
            if handed > 0 { logger.info("before the revoke: handed over \(handed) batch(es) whose steps were running") }
        } catch {
            failure = error
            lanes.abandon()
        }
        delivery.drainBeforeRevoke(backPressure: backPressure)
    }

    func rethrowFailure() throws {
        if let failure { throw failure }
    }
}
