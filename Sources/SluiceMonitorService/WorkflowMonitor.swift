import Foundation
import Logging
import SluiceEvents
import SluiceJSON
import SluiceKafka
import SluiceLifecycle
import SluiceMonitor
import SluiceRegistry
import SluiceWorkflow

/// The monitor consumer of one workflow (`sluice monitor`).
///
/// `run()` blocks the calling thread until `stop()`:
/// - it joins its own consumer group `<workflow>.monitor` on the workflow's output and
///   dead-letter topics (from the latest offsets, or the earliest with
///   `fromBeginning`; it never commits, so every start begins afresh) and feeds every
///   finished envelope to a `MetricsAggregator` and a `TrendAggregator`, every dead
///   letter to the aggregator as a `DeadLetterNotice`;
/// - every tick (`tickSeconds`, 1 s) it refreshes the snapshot that `snapshot()`,
///   `prometheusText()` and `tableText()` serve, evaluates the alert rules, closes trend
///   windows, and publishes alert transitions (alerts topic, plus a log line) and closed
///   trend windows and surge edges (trends topic; surges also to the alerts topic);
/// - every publish period (the first window, e.g. 10 s) it publishes one metrics record
///   per configured window plus one since start to the metrics topic;
/// - a probe thread queries, every `probeSeconds`, each stage group's lag on the
///   stage's input topic and its membership (replicas), so a slow admin answer never
///   stalls consumption. Replicas stay unknown where the broker does not describe the
///   group.
///
/// Everything it exposes is thread-safe.
public final class WorkflowMonitor: BlockingRunnable, @unchecked Sendable {
    public let workflow: Workflow
    public let options: MonitorOptions
    /// `<workflow>.monitor`
    public var group: String { "\(workflow.name).monitor" }

    private let logger: Logger
    private let lock = NSLock()
    private var aggregator: MetricsAggregator
    private var trends: TrendAggregator
    private var alerts: AlertEvaluator
    private var counts = MonitorCounters()
    private var latest: MetricsSnapshot
    private var latestPrometheus: String
    private var latestTable: String
    private var assigned = false
    private let stopRequest = Latch()

    public init(workflow: Workflow, options: MonitorOptions, logger: Logger = Logger(label: "sluice.monitor")) {
        self.workflow = workflow
        self.options = options
        self.logger = logger
        let now = EventClock.nowMicros()
        aggregator = MetricsAggregator(workflow: workflow, startedAt: now)
        trends = TrendAggregator(workflow: workflow)
        alerts = AlertEvaluator(rules: workflow.monitor.rules)
        latest = aggregator.currentSnapshot(now: now)
        latestPrometheus = aggregator.prometheusText(now: now)
        latestTable = aggregator.tableText(now: now)
    }

    // MARK: Thread-safe views

    /// The current figures (the first, shortest window) as of the last tick.
    public func snapshot() -> MetricsSnapshot { locked { latest } }

    /// One snapshot per configured window plus one since start, computed now.
    public func snapshots() -> [MetricsSnapshot] {
        let now = EventClock.nowMicros()
        return locked { aggregator.snapshots(now: now) }
    }

    /// The Prometheus text exposition as of the last tick.
    public func prometheusText() -> String { locked { latestPrometheus } }

    /// The terminal table as of the last tick.
    public func tableText() -> String { locked { latestTable } }

    public func counters() -> MonitorCounters { locked { counts } }

    /// Alert rules firing now.
    public func firingAlerts() -> Set<String> { locked { alerts.firingRules } }

    /// True once the monitor's consumer has partitions assigned (it is reading).
    public var isAssigned: Bool { locked { assigned } }

    /// Asks `run()` to return after its current poll. Thread-safe.
    public func stop() { stopRequest.open() }

    public var isStopping: Bool { stopRequest.isOpen }

    // MARK: The loop

    /// Consumes and publishes until `stop()`. Throws when a client cannot be made or
    /// the subscription fails (bad configuration, unreachable broker at start).
    public func run() throws {
        let common = KafkaConfig(
            bootstrapServers: options.brokers, clientID: options.clientID, properties: options.properties)
        let consumer = try KafkaConsumer(
            config: KafkaConsumerConfig(
                common: common, groupID: group, autoOffsetReset: options.fromBeginning ? .earliest : .latest,
                isolationLevel: .readCommitted, sessionTimeoutMs: 10_000, maxPollIntervalMs: 30_000))
        consumer.setRebalanceHandler { [weak self] event in
            self?.logger.debug("monitor rebalance: \(event)")
        }
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: common))
        let admin = try KafkaAdmin(config: common)
        defer {
            consumer.close()
            producer.close(flushTimeoutMs: 5_000)
        }
        try consumer.subscribe(topics: [workflow.output, workflow.deadLetter])
        logger.info(
            "monitor joined group \(group) on \(workflow.output) and \(workflow.deadLetter) (from \(options.fromBeginning ? "the beginning" : "now"))"
        )

        let announcer = startAnnouncer(common)
        defer { announcer?.stop() }

        // Lag and membership off the consuming thread; ends when run() returns, however it does.
        let probeStop = Latch()
        let probe = BlockingService(
            "monitor.probe", run: { [self] in probeLoop(admin: admin, until: probeStop) }, stop: { probeStop.open() }
        ).start()
        defer { probe.stop() }

        let tickMicros = Int64(options.tickSeconds * 1e6)
        let publishMicros = Int64((options.publishSeconds ?? Double(workflow.monitor.windowsSeconds.first ?? 10)) * 1e6)
        var nextTick = EventClock.nowMicros() + tickMicros
        var nextPublish = EventClock.nowMicros() + publishMicros
        while !isStopping {
            let records = try consumer.poll(maxRecords: 1_000, timeoutMs: 100)
            if !records.isEmpty { ingest(records) }
            if !isAssigned, let assignment = try? consumer.assignment(), !assignment.isEmpty {
                locked { assigned = true }
            }
            let now = EventClock.nowMicros()
            if now >= nextTick {
                tick(now: now, producer: producer)
                nextTick = now + tickMicros
            }
            if now >= nextPublish {
                publishMetrics(now: now, producer: producer)
                nextPublish = now + publishMicros
            }
        }
        // Last figures out before leaving.
        let now = EventClock.nowMicros()
        tick(now: now, producer: producer)
        publishMetrics(now: now, producer: producer)
        do { try producer.flush(timeoutMs: 5_000) } catch {
            logger.warning("monitor: flushing its records failed: \(error)")
        }
        logger.info("monitor stopped")
    }

    /// `<workflow>/monitor/<host:pid>` in the registry, while `run()` runs.
    private func startAnnouncer(_ common: KafkaConfig) -> RegistryAnnouncer? {
        guard let settings = options.registry else { return nil }
        let announcer = RegistryAnnouncer(
            config: common, settings: settings, kind: .monitor,
            member: Registry.memberID(
                workflow: workflow.name, stage: "monitor",
                instance: "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"),
            workflow: workflow.name, stage: nil, logger: logger
        ) { [weak self] in
            let counts = self?.counters() ?? MonitorCounters()
            return RegistryAnnouncer.Status(eventsProcessed: counts.envelopes + counts.deadLetters)
        }
        do {
            try announcer.start()
        } catch {
            logger.warning("monitor: not announcing in the registry \(settings.topic): \(error)")
            return nil
        }
        return announcer
    }

    /// Feeds polled records to the aggregators. Public for tests that drive it directly.
    public func ingest(_ records: [KafkaRecord]) {
        let now = EventClock.nowMicros()
        lock.lock()
        defer { lock.unlock() }
        for record in records {
            if record.topic == workflow.deadLetter {
                aggregator.recordDeadLetter(DeadLetterNotice(record: record, fallbackAt: now))
                counts.deadLetters += 1
                continue
            }
            let envelope: Envelope
            do {
                envelope = try Envelope.decode(
                    record.value, fallbackID: "\(record.topic)-\(record.partition)-\(record.offset)",
                    fallbackCreatedAt: now)
            } catch {
                counts.undecodable += 1
                continue
            }
            aggregator.record(envelope, now: now)
            trends.record(envelope)
            counts.envelopes += 1
        }
    }

    private func tick(now: Int64, producer: KafkaProducer) {
        lock.lock()
        let current = aggregator.currentSnapshot(now: now)
        let transitions = alerts.evaluate(current)
        let trendUpdate = trends.advance(now: now)
        latest = current
        latestPrometheus = PrometheusText.render(
            current: current, sinceStart: aggregator.snapshot(windowSeconds: nil, now: now), workflow: workflow.name)
        latestTable = MetricsTable.render(current)
        lock.unlock()

        for transition in transitions + trendUpdate.transitions {
            let subject = transition.subject.map { " (\($0))" } ?? ""
            let text =
                "alert \(transition.rule)\(subject) \(transition.state.rawValue): value \(transition.value), threshold \(transition.threshold)"
            if transition.state == .firing { logger.warning("\(text)") } else { logger.info("\(text)") }
            if let topic = workflow.monitor.alertsTopic {
                publish(topic: topic, key: transition.rule, value: transition.json(), producer: producer, count: .alert)
            }
        }
        if let topic = workflow.monitor.trendsTopic {
            for window in trendUpdate.windows {
                publish(
                    topic: topic, key: window.label ?? "all", value: window.json(), producer: producer, count: .trend)
            }
        }
    }

    private func publishMetrics(now: Int64, producer: KafkaProducer) {
        guard let topic = workflow.monitor.metricsTopic else { return }
        for snapshot in locked({ aggregator.snapshots(now: now) }) {
            publish(topic: topic, key: snapshot.windowName, value: snapshot.json(), producer: producer, count: .metrics)
        }
    }

    /// Queues one JSON record (with the workflow's name added); the delivery report
    /// counts it as published or failed.
    private func publish(
        topic: String, key: String, value: JSONValue, producer: KafkaProducer,
        count: PublishedKind
    ) {
        var value = value
        if case .object(var fields) = value {
            fields["workflow"] = .string(workflow.name)
            value = .object(fields)
        }
        let message = KafkaProducerMessage(topic: topic, key: key, value: Array(value.serialized().utf8))
        do throws(KafkaError) {
            try producer.enqueue(message, waitingForSpaceUpToMs: 1_000) { [weak self] report in
                guard let self else { return }
                if let error = report.error {
                    self.logger.warning("monitor: publishing to \(topic) failed: \(error)")
                    self.locked { self.counts.publishFailures += 1 }
                } else {
                    self.locked { self.counts.countPublished(count) }
                }
            }
        } catch {
            logger.warning("monitor: could not queue a record for \(topic): \(error)")
            locked { counts.publishFailures += 1 }
        }
    }

    // MARK: Probe: lag and replicas, off the consuming thread

    private func probeLoop(admin: KafkaAdmin, until stop: Latch) {
        while !isStopping {
            probeOnce(admin: admin)
            // Sleeps until the next probe or until run() returns.
            if stop.wait(seconds: options.probeSeconds) { break }
        }
    }

    /// One round of lag and membership queries for every stage.
    public func probeOnce(admin: KafkaAdmin) {
        for stage in workflow.stages {
            let group = workflow.group(of: stage)
            var report: LagReport?
            var failures = 0
            do throws(KafkaError) {
                let lags = try admin.lag(group: group, topic: stage.input, timeoutMs: options.probeTimeoutMs)
                report = LagReport.compute(lags.map { ($0.partition, $0.highWatermark, $0.committedOffset) })
            } catch {
                failures += 1
                logger.debug("monitor: lag of \(group) on \(stage.input) unknown: \(error)")
            }
            var replicas: Int?
            do throws(KafkaError) {
                replicas = try admin.groupMembers(group: group, timeoutMs: options.probeTimeoutMs).count
            } catch {
                failures += 1
                logger.debug("monitor: members of \(group) unknown: \(error)")
            }
            let now = EventClock.nowMicros()
            locked {
                if let report { aggregator.observeLag(report, stage: stage.name, now: now) }
                if let replicas {
                    aggregator.setReplicas(replicas, stage: stage.name)
                    counts.membershipUnknown.remove(group)
                } else {
                    counts.membershipUnknown.insert(group)
                }
                counts.probeFailures += failures
            }
        }
        locked { counts.probes += 1 }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

enum PublishedKind: Sendable { case metrics, alert, trend }

extension MonitorCounters {
    mutating func countPublished(_ kind: PublishedKind) {
        switch kind {
        case .metrics: metricsPublished += 1
        case .alert: alertsPublished += 1
        case .trend: trendsPublished += 1
        }
    }
}
