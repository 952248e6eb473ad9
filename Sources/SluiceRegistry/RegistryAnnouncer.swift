import Foundation
import Logging
import SluiceKafka
import SluiceLifecycle

/// Keeps one member's registry record fresh: `start()` creates the registry topic
/// if missing and writes the first record, then a heartbeat loop (on a
/// `BlockingService` thread) rewrites it every `heartbeatSeconds` with what `status`
/// reports now; `stop()` ends the loop and writes a tombstone (a null value) for the member's key.
///
/// A registry failure never stops the member's real work: a heartbeat that cannot
/// be delivered is logged (rate-limited by the heartbeat period) and retried at the next one.
public final class RegistryAnnouncer: @unchecked Sendable {
    /// What changes between heartbeats.
    public struct Status: Sendable {
        public var partitions: [String]
        public var health: RegistryEntry.Health
        public var rejoins: Int
        public var eventsProcessed: Int
        public var model: String?
        public var precision: String?
        public var headVersion: String?
        public var canaryVersion: String?

        public init(
            partitions: [String] = [], health: RegistryEntry.Health = .ok, rejoins: Int = 0, eventsProcessed: Int = 0,
            model: String? = nil, precision: String? = nil, headVersion: String? = nil, canaryVersion: String? = nil
        ) {
            self.precision = precision
            self.partitions = partitions
            self.health = health
            self.rejoins = rejoins
            self.eventsProcessed = eventsProcessed
            self.model = model
            self.headVersion = headVersion
            self.canaryVersion = canaryVersion
        }
    }

    public let settings: RegistrySettings
    public let member: String
    private let base: RegistryEntry
    private let config: KafkaConfig
    private let status: @Sendable () -> Status
    private let logger: Logger
    private let lock = NSLock()
    private var producer: KafkaProducer?
    private var heartbeat: BlockingService.Running?
    private var stopped = false
    private var beats = 0

    /// `member` is the record's key, usually `Registry.memberID(workflow:stage:instance:)`.
    public init(
        config: KafkaConfig, settings: RegistrySettings = RegistrySettings(), kind: RegistryEntry.Kind, member: String,
        workflow: String, stage: String?, host: String = ProcessInfo.processInfo.hostName,
        pid: Int32 = ProcessInfo.processInfo.processIdentifier, logger: Logger = Logger(label: "sluice.registry"),
        status: @escaping @Sendable () -> Status
    ) {
        self.config = config
        self.settings = settings
        self.member = member
        self.status = status
        self.logger = logger
        let now = Registry.nowMicros()
        base = RegistryEntry(
            kind: kind, member: member, workflow: workflow, stage: stage, host: host, pid: pid, startedAt: now,
            lastHeartbeat: now)
    }

    /// The record as it would be written now.
    public func currentEntry() -> RegistryEntry {
        var entry = base
        let now = status()
        entry.partitions = now.partitions
        entry.health = now.health
        entry.rejoins = now.rejoins
        entry.eventsProcessed = now.eventsProcessed
        entry.model = now.model
        entry.precision = now.precision
        entry.headVersion = now.headVersion
        entry.canaryVersion = now.canaryVersion
        entry.lastHeartbeat = Registry.nowMicros()
        entry.residentBytes = Registry.residentBytes()
        return entry
    }

    /// Heartbeats written so far (the first announcement included).
    public var heartbeats: Int { lock.withLock { beats } }

    /// Creates the topic if missing, announces, and starts the heartbeat thread.
    /// Throws only when no producer can be made (bad configuration); an unreachable
    /// broker or a failed first announcement is logged and retried by the heartbeat.
    public func start() throws(KafkaError) {
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: config))
        lock.withLock { self.producer = producer }
        do {
            try Registry.ensureTopic(settings.topic, admin: try KafkaAdmin(config: config))
        } catch {
            logger.warning("registry topic \(settings.topic) could not be created: \(error); announcing anyway")
        }
        beat(producer)
        let wake = Latch()
        let heartbeat = BlockingService(
            "registry.heartbeat",
            run: { [self] in
                while !wake.wait(seconds: settings.heartbeatSeconds) { beat(producer) }
            },
            stop: { wake.open() }
        ).start()
        lock.withLock { self.heartbeat = heartbeat }
    }

    /// Ends the heartbeat and deletes the member's record (tombstone). Idempotent.
    public func stop() {
        let (producer, heartbeat, first) = lock.withLock { () -> (KafkaProducer?, BlockingService.Running?, Bool) in
            defer { stopped = true }
            return (self.producer, self.heartbeat, !stopped)
        }
        guard first, let producer else { return }
        heartbeat?.stop()
        do {
            let reports = try producer.sendBatch([tombstone()], timeoutMs: 5_000)
            if let error = reports.first?.error { logger.warning("registry tombstone for \(member) failed: \(error)") }
        } catch {
            logger.warning("registry tombstone for \(member) failed: \(error)")
        }
        producer.close(flushTimeoutMs: 2_000)
    }

    /// The record that deletes this member: its key with a null value.
    public func tombstone() -> KafkaProducerMessage {
        // An empty value is sent as a null one (SluiceKafka passes no buffer for it).
        KafkaProducerMessage(topic: settings.topic, key: member, value: [])
    }

    private func beat(_ producer: KafkaProducer) {
        let message = KafkaProducerMessage(topic: settings.topic, key: member, value: currentEntry().encoded())
        do {
            let reports = try producer.sendBatch([message], timeoutMs: Int(max(settings.heartbeatSeconds, 1) * 1000))
            if let error = reports.first?.error {
                logger.warning("registry heartbeat for \(member) not delivered: \(error)")
                return
            }
            lock.withLock { beats += 1 }
        } catch {
            logger.warning("registry heartbeat for \(member) not queued: \(error)")
        }
    }
}
