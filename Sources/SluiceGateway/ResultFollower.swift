import Foundation
import Logging
import SluiceEvents
import SluiceJSON
import SluiceKafka
import SluiceLifecycle
import SluiceWorkflow

/// Follows the workflow's output and dead-letter topics on a thread of its own
/// (`BlockingService`) and files every event it sees in the result cache (and the dashboard).
///
/// It assigns every partition directly (no group: each gateway sees everything) at
/// the high watermark minus `backfill`, taken once at start; whatever is produced
/// after `start()` returns is therefore seen. A lost connection or a fatal client error
/// ends the session: the follower starts a new one from where it had read.
public final class ResultFollower: @unchecked Sendable {
    public let workflow: Workflow
    private let config: KafkaConfig
    private let cache: ResultCache
    private let dashboard: DashboardState
    private let backfill: Int64
    private let logger: Logger
    private let lock = NSLock()
    private var positions: [String: Int64] = [:]
    private let stopping = Latch()
    private var reading: BlockingService.Running?
    private var seen = (results: 0, deadLetters: 0)
    private var connected = false

    public init(
        workflow: Workflow, config: KafkaConfig, cache: ResultCache, dashboard: DashboardState, backfill: Int,
        logger: Logger
    ) {
        self.workflow = workflow
        self.config = config
        self.cache = cache
        self.dashboard = dashboard
        self.backfill = Int64(max(0, backfill))
        self.logger = logger
    }

    public var counts: (results: Int, deadLetters: Int) {
        lock.lock()
        defer { lock.unlock() }
        return seen
    }

    /// Whether a session is open now (false while it reconnects after an error).
    public var isConnected: Bool { lock.withLock { connected } }

    /// The next offset to read, per "topic/partition".
    public var positionsSnapshot: [String: Int64] { lock.withLock { positions } }

    /// Assigns the partitions (so the starting offsets are fixed), then reads on a thread.
    /// Throws when the broker cannot be reached or a topic is missing.
    public func start() throws {
        let consumer = try openSession()
        let reading = BlockingService(
            "gateway-results", run: { [self] in run(first: consumer) }, stop: { [stopping] in stopping.open() }
        ).start()
        lock.withLock { self.reading = reading }
    }

    /// Ends the reading loop and waits for it to close its consumer.
    public func stop() {
        stopping.open()
        lock.withLock { () -> BlockingService.Running? in
            defer { reading = nil }
            return reading
        }?.stop()
    }

    private var isStopping: Bool { stopping.isOpen }

    private func run(first: KafkaConsumer) {
        var consumer: KafkaConsumer? = first
        var lastTick = Date.distantPast
        while !isStopping {
            do {
                if consumer == nil {
                    consumer = try openSession()
                    lock.withLock { connected = true }
                }
                let records = try consumer!.poll(maxRecords: 500, timeoutMs: 200)
                let now = EventClock.nowMicros()
                for record in records { file(record, now: now) }
                if Date().timeIntervalSince(lastTick) >= 0.5 {
                    dashboard.tick(now: now)
                    lastTick = Date()
                }
            } catch {
                logger.error("reading results from \(workflow.output) failed: \(error); reconnecting in 2 s")
                lock.withLock { connected = false }
                consumer?.close()
                consumer = nil
                _ = stopping.wait(seconds: 2)
            }
        }
        consumer?.close()
    }

    private func openSession() throws -> KafkaConsumer {
        var common = config
        common.clientID = "sluice-gateway-results"
        let admin = try KafkaAdmin(config: common)
        let listed = Dictionary(uniqueKeysWithValues: try admin.listTopics().map { ($0.name, $0.partitions) })
        var starts: [KafkaTopicPartitionOffset] = []
        for topic in [workflow.output, workflow.deadLetter] {
            guard let partitions = listed[topic] else {
                throw GatewayError.topicMissing(topic)
            }
            for partition in partitions {
                let key = "\(topic)/\(partition)"
                let from: Int64
                if let known = position(key) {
                    from = known
                } else {
                    let marks = try admin.watermarks(topic: topic, partition: partition)
                    from = max(marks.low, marks.high - backfill)
                }
                starts.append(KafkaTopicPartitionOffset(topic: topic, partition: partition, offset: from))
            }
        }
        let consumer = try KafkaConsumer(
            config: KafkaConsumerConfig(
                common: common, groupID: "sluice-gateway-\(UUID().uuidString)", isolationLevel: .readCommitted))
        try consumer.assign(starts)
        lock.withLock {
            for start in starts where positions["\(start.topic)/\(start.partition)"] == nil {
                positions["\(start.topic)/\(start.partition)"] = start.offset
            }
            connected = true
        }
        return consumer
    }

    private func position(_ key: String) -> Int64? {
        lock.lock()
        defer { lock.unlock() }
        return positions[key]
    }

    private func file(_ record: KafkaRecord, now: Int64) {
        lock.lock()
        positions["\(record.topic)/\(record.partition)"] = record.offset + 1
        lock.unlock()
        let keyID = record.key.map { String(decoding: $0, as: UTF8.self) } ?? ""
        if record.topic == workflow.output {
            guard let event = try? Envelope.decode(record.value, fallbackID: keyID, fallbackCreatedAt: 0) else {
                return
            }
            var shown = event
            shown.embedding = nil
            cache.store(.done(shown.jsonValue()), for: event.id)
            dashboard.record(event, now: now)
            lock.lock()
            seen.results += 1
            lock.unlock()
        } else {
            // The value is the input record as it was; its id is in it when it is JSON.
            let id =
                (try? JSONValue.parse(record.value))?["id"].flatMap { $0.stringValue ?? $0.intValue.map(String.init) }
                ?? keyID
            guard !id.isEmpty else { return }
            func header(_ name: String) -> String {
                HeaderLookup.text(name, in: record.headers, key: \.key, value: \.value) ?? ""
            }
            cache.store(
                .failed(
                    reason: header(DeadLetterHeaders.reason), detail: header(DeadLetterHeaders.detail),
                    stage: header(DeadLetterHeaders.stage)),
                for: id)
            dashboard.recordDeadLetter()
            lock.lock()
            seen.deadLetters += 1
            lock.unlock()
        }
    }
}

public enum GatewayError: Error, CustomStringConvertible {
    case topicMissing(String)
    /// A non-loopback address without tokens (and without `insecure`): what to do.
    case unsafeBind(String)

    public var description: String {
        switch self {
        case .topicMissing(let topic):
            return
                "topic '\(topic)' does not exist: create the workflow's topics first (`sluice topics apply --workflow FILE`)"
        case .unsafeBind(let why):
            return why
        }
    }
}
