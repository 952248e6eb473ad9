import Foundation
import Logging
import SluiceKafka
import SluiceLifecycle
import SluiceML

/// Follows the control topic for one stage and installs the heads it announces
/// into the stage's `HeadSlot`.
///
/// It has its own consumer, in no group (partition 0 assigned from the start, no
/// commits): `start()` reads to the end and applies the latest state before it
/// returns, so a worker (re)started after a deploy runs the deployed head from its
/// first batch; then its loop keeps polling on a
/// thread of its own (`BlockingService`). Every candidate is parsed and
/// validated (`HeadSlot.validate`) before anything changes: a state naming an
/// unknown version, a corrupt state or head record, a head of the wrong model,
/// dimension or labels is refused with a log line, and the stage keeps its heads.
public final class HeadWatcher: @unchecked Sendable {
    public struct Change: Sendable, Equatable {
        public var active: String
        public var canary: String?
        public var fraction: Double
        /// Epoch µs when it was installed.
        public var at: Int64
    }

    public let topic: String
    private let config: KafkaConfig
    private let slot: HeadSlot
    private let logger: Logger
    private var fold: ControlFold
    private let lock = NSLock()
    private var refusedList: [String] = []
    private var changeList: [Change] = []
    private var stopped = false
    private var pending: ModelState?
    private var following: BlockingService.Running?

    public init(config: KafkaConfig, topic: String, workflow: String, stage: String, slot: HeadSlot, logger: Logger) {
        var config = config
        config.clientID = "sluice-control-\(stage)"
        self.config = config
        self.topic = topic
        self.slot = slot
        self.logger = logger
        fold = ControlFold(workflow: workflow, stage: stage)
    }

    /// Why announcements were refused, oldest first.
    public var refusals: [String] { lock.withLock { refusedList } }
    /// Heads installed since start, oldest first.
    public var changes: [Change] { lock.withLock { changeList } }

    /// Creates the topic if missing, reads it to its end and applies the latest
    /// state, then follows it on a thread until `stop()`.
    public func start(timeoutMs: Int = 15_000) throws(KafkaError) {
        let admin = try KafkaAdmin(config: config)
        try ModelControl.ensureTopic(topic, admin: admin, timeoutMs: timeoutMs)
        let marks = try admin.watermarks(topic: topic, partition: 0, timeoutMs: timeoutMs)
        let consumer = try KafkaConsumer(
            config: KafkaConsumerConfig(
                common: config, groupID: "sluice-control-\(UUID().uuidString)", isolationLevel: .readUncommitted))
        try consumer.assign([KafkaTopicPartitionOffset(topic: topic, partition: 0, offset: marks.low)])
        // To the high watermark, then on until a quiet poll: Tansu's mark can trail the end by a batch.
        var next = marks.low
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while Date() < deadline {
            let records = try consumer.poll(
                maxRecords: 500, timeoutMs: next < marks.high || next == marks.low ? 1_000 : 300)
            for record in records {
                fold.apply(key: record.key, value: record.value)
                next = record.offset + 1
            }
            if records.isEmpty && next >= marks.high { break }
        }
        applyChanges()
        let following = BlockingService(
            "control", run: { [self] in follow(consumer) }, stop: { [self] in lock.withLock { stopped = true } }
        ).start()
        lock.withLock { self.following = following }
    }

    /// Stops following and waits for the loop to close its consumer.
    public func stop() {
        let following = lock.withLock { () -> BlockingService.Running? in
            stopped = true
            defer { self.following = nil }
            return self.following
        }
        following?.stop()
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func follow(_ consumer: KafkaConsumer) {
        defer { consumer.close() }
        var failures = 0
        while !isStopped {
            do {
                let records = try consumer.poll(maxRecords: 100, timeoutMs: 200)
                failures = 0
                guard !records.isEmpty else { continue }
                for record in records { fold.apply(key: record.key, value: record.value) }
                applyChanges()
            } catch {
                failures += 1
                if failures == 1 || failures % 50 == 0 {
                    logger.warning("control topic \(topic): \(error); the stage keeps its heads and retries")
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }

    /// Applies the latest state if it changed, or if a head it was waiting for arrived.
    private func applyChanges() {
        let changes = fold.takeChanges()
        let key = ModelControl.stateKey(workflow: fold.workflow, stage: fold.stage)
        var state: ModelState
        if changes.state, let record = fold.stateRecord {
            do {
                state = try ModelState.decode(record)
            } catch {
                refuse("the state record '\(key)' is unreadable: \(error)")
                return
            }
            guard state.workflow == fold.workflow, state.stage == fold.stage else {
                refuse("the state record '\(key)' names \(state.workflow)/\(state.stage)")
                return
            }
        } else if let waiting = pending,
            changes.heads.contains(waiting.active) || waiting.canary.map({ changes.heads.contains($0.version) }) == true
        {
            state = waiting
        } else {
            return
        }
        pending = nil
        let have = slot.current
        do {
            let active = try head(state.active, have: have, missing: state)
            var canary: HeadSlot.Heads?
            if let c = state.canary { canary = HeadSlot.Heads(active: try head(c.version, have: have, missing: state)) }
            if have.active.version == active.version && have.canary?.version == canary?.active.version
                && have.fraction == (state.canary?.fraction ?? 0)
            {
                return
            }
            slot.install(HeadSlot.Heads(active: active, canary: canary?.active, fraction: state.canary?.fraction ?? 0))
            let change = Change(
                active: active.version, canary: state.canary?.version, fraction: state.canary?.fraction ?? 0,
                at: Int64(Date().timeIntervalSince1970 * 1_000_000))
            lock.withLock { changeList.append(change) }
            let canaryText =
                state.canary.map { ", canary \($0.version) on \(Int(($0.fraction * 100).rounded())) % of events" } ?? ""
            let activeText =
                have.active.version == active.version
                ? "keeps \(active.version)" : "\(have.active.version) -> \(active.version)"
            let canaryChange = canaryText.isEmpty && have.canary != nil ? ", canary ended" : canaryText
            logger.info("head of \(key): \(activeText)\(canaryChange) (announced by \(state.by)); from the next batch")
        } catch {
            refuse(
                "announcement for '\(key)' (active \(state.active)\(state.canary.map { ", canary \($0.version)" } ?? "")): \(error)"
            )
        }
    }

    /// The head of `version`: the one in use, or parsed and validated from its record.
    private func head(_ version: String, have: HeadSlot.Heads, missing state: ModelState) throws(HeadFileError)
        -> HeadFile
    {
        if have.active.version == version { return have.active }
        if let canary = have.canary, canary.version == version { return canary }
        guard let bytes = fold.heads[version] else {
            pending = state
            throw HeadFileError(
                "head version '\(version)' is not on the control topic; announce it with `sluice deploy --head FILE`")
        }
        let file: HeadFile
        do { file = try slot.load(bytes) } catch {
            throw HeadFileError("head version '\(version)': \(error.description)")
        }
        guard file.version == version else {
            throw HeadFileError("the record for head version '\(version)' holds version '\(file.version)'")
        }
        return file
    }

    private func refuse(_ reason: String) {
        lock.withLock { refusedList.append(reason) }
        logger.error("refused \(reason); keeping head \(slot.current.active.version)")
    }
}
