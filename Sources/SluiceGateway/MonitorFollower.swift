import Foundation
import Logging
import SluiceKafka
import SluiceLifecycle
import SluiceWorkflow

/// Follows the monitor's metrics, alerts and trends topics (those the workflow's
/// `monitor:` section names) on a thread of its own and files every record in a
/// `MonitorView`, so that a dashboard poll reads memory, never the broker.
///
/// Like `ResultFollower` it assigns every partition directly, starting `backfill`
/// records before the end (per topic kind: the latest metrics, the recent alerts and
/// trend windows). Unlike it, it never fails the gateway: the monitor's topics are
/// optional (no monitor may run yet), so a missing topic or a lost broker only means
/// a new try every 2 s, from where it had read.
final class MonitorFollower: @unchecked Sendable {
    let view: MonitorView
    private let topics: [(name: String, kind: MonitorView.Kind, backfill: Int64)]
    private let config: KafkaConfig
    private let logger: Logger
    private let stopping = Latch()
    private let lock = NSLock()
    private var positions: [String: Int64] = [:]
    private var connected = false
    private var reading: BlockingService.Running?

    /// nil when the workflow names none of the monitor's topics.
    init?(workflow: Workflow, config: KafkaConfig, view: MonitorView, logger: Logger) {
        let monitor = workflow.monitor
        var topics: [(name: String, kind: MonitorView.Kind, backfill: Int64)] = []
        if let name = monitor.metricsTopic { topics.append((name, .metrics, 20)) }
        if let name = monitor.alertsTopic { topics.append((name, .alerts, Int64(view.alertHistory))) }
        if let name = monitor.trendsTopic { topics.append((name, .trends, Int64(view.trendHistory))) }
        guard !topics.isEmpty else { return nil }
        self.topics = topics
        var common = config
        common.clientID = "sluice-gateway-monitor"
        self.config = common
        self.view = view
        self.logger = logger
    }

    /// Whether a session is open now.
    var isConnected: Bool { lock.withLock { connected } }

    func start() {
        let reading = BlockingService(
            "gateway-monitor", run: { [self] in run() }, stop: { [stopping] in stopping.open() }
        )
        .start()
        lock.withLock { self.reading = reading }
    }

    func stop() {
        stopping.open()
        lock.withLock { () -> BlockingService.Running? in
            defer { reading = nil }
            return reading
        }?.stop()
    }

    private func run() {
        var consumer: KafkaConsumer?
        var reported = false
        while !stopping.isOpen {
            do {
                if consumer == nil { consumer = try openSession() }
                for record in try consumer!.poll(maxRecords: 500, timeoutMs: 200) {
                    lock.withLock { positions["\(record.topic)/\(record.partition)"] = record.offset + 1 }
                    guard let kind = topics.first(where: { $0.name == record.topic })?.kind else { continue }
                    view.record(kind, record.value)
                }
                reported = false
            } catch {
                // Once per outage: before the monitor has created its topics this repeats.
                if !reported {
                    logger.warning("not following the monitor's topics: \(error); retrying every 2 s")
                    reported = true
                }
                lock.withLock { connected = false }
                consumer?.close()
                consumer = nil
                _ = stopping.wait(seconds: 2)
            }
        }
        consumer?.close()
    }

    private func openSession() throws -> KafkaConsumer {
        let admin = try KafkaAdmin(config: config)
        let listed = Dictionary(
            try admin.listTopics(timeoutMs: 5_000).map { ($0.name, $0.partitions) }, uniquingKeysWith: { $1 })
        var starts: [KafkaTopicPartitionOffset] = []
        for topic in topics {
            guard let partitions = listed[topic.name] else { throw GatewayError.topicMissing(topic.name) }
            for partition in partitions {
                let key = "\(topic.name)/\(partition)"
                let from: Int64
                if let known = lock.withLock({ positions[key] }) {
                    from = known
                } else {
                    let marks = try admin.watermarks(topic: topic.name, partition: partition, timeoutMs: 5_000)
                    from = max(marks.low, marks.high - topic.backfill)
                }
                starts.append(KafkaTopicPartitionOffset(topic: topic.name, partition: partition, offset: from))
            }
        }
        let consumer = try KafkaConsumer(
            config: KafkaConsumerConfig(common: config, groupID: "sluice-gateway-monitor-\(UUID().uuidString)"))
        try consumer.assign(starts)
        lock.withLock {
            for start in starts where positions["\(start.topic)/\(start.partition)"] == nil {
                positions["\(start.topic)/\(start.partition)"] = start.offset
            }
            connected = true
        }
        return consumer
    }
}
