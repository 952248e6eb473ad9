import Foundation
import SluiceKafka
import SluiceTesting
import XCTest

/// Shared frame of the fault tests: a passthrough workflow (cheap, no model), real
/// `sluice worker` processes, a paced input feed, a live output watch, and the final
/// exact accounting. Everything started here is killed in tearDown, even on failure.
class FaultTestCase: XCTestCase {
    /// Short consumer sessions keep the faults that outlast one short as well.
    static let sessionTimeoutMs = 6_000
    static let partitions = 4

    var brokers: [FaultBroker] = []
    var workers: [WorkerProcess] = []
    var feeds: [EventFeed] = []
    var watches: [OutputWatch] = []
    var labs: [NetworkLab] = []
    var started = Date()

    override func setUp() {
        started = Date()
    }

    override func tearDown() {
        watches.forEach { $0.stop() }
        feeds.forEach { $0.close() }
        workers.forEach { $0.kill() }
        brokers.forEach { $0.stop() }
        labs.forEach { $0.destroy() }
        watches = []
        feeds = []
        workers = []
        brokers = []
        labs = []
    }

    var elapsed: TimeInterval { Date().timeIntervalSince(started) }

    /// A workflow of passthrough stages chained `in -> s1 -> ... -> out`; returns its file.
    func workflowFile(stages: [String], delivery: String = "at-least-once", batch: Int = 50) throws -> String {
        var topics = ["in"] + (1..<stages.count).map { "mid\($0)" } + ["out"]
        var lines = [
            "workflow: faults",
            "topics:",
        ]
        topics.append("dead-letters")
        for topic in topics {
            lines.append("  \(topic): { partitions: \(topic == "dead-letters" ? 1 : Self.partitions) }")
        }
        lines += ["input: in", "output: out", "dead_letter: dead-letters", "stages:"]
        for (index, stage) in stages.enumerated() {
            lines.append(
                "  - { name: \(stage), task: passthrough, input: \(topics[index]), output: \(topics[index + 1]), "
                    + "batch: { size: \(batch), wait_ms: 20 }, delivery: \(delivery) }")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fault-wf-\(UUID().uuidString).yaml")
            .path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The topics of `workflowFile(stages:)` with `count` stages.
    func createTopics(stages count: Int, on broker: FaultBroker) throws {
        let names = ["in"] + (1..<count).map { "mid\($0)" } + ["out"]
        let admin = try KafkaAdmin(
            config: KafkaConfig(bootstrapServers: broker.bootstrapServers, clientID: "fault-admin"))
        var topics = names.map { KafkaNewTopic(name: $0, partitions: Int32(Self.partitions)) }
        topics.append(KafkaNewTopic(name: "dead-letters", partitions: 1))
        for (name, outcome) in try admin.createTopics(topics) {
            if case .failed(let error) = outcome { throw FaultError("creating \(name): \(error)") }
        }
    }

    func startBroker(host: String = "127.0.0.1", port: Int? = nil, listen: String? = nil, namespace: String? = nil)
        throws -> FaultBroker
    {
        let broker = try FaultBroker(host: host, port: port, listen: listen, namespace: namespace)
        brokers.append(broker)
        return broker
    }

    func startWorker(
        workflow: String, stage: String, brokers: String, namespace: String? = nil, extra: [String] = []
    ) throws -> WorkerProcess {
        let worker = try WorkerProcess(
            workflow: workflow, stage: stage, brokers: brokers, namespace: namespace,
            extra: ["-X", "session.timeout.ms=\(Self.sessionTimeoutMs)"] + extra)
        workers.append(worker)
        return worker
    }

    func startFeed(broker: FaultBroker, prefix: String, count: Int, rate: Double) throws -> EventFeed {
        let feed = try EventFeed(
            bootstrapServers: broker.bootstrapServers, topic: "in", prefix: prefix, count: count, rate: rate)
        feeds.append(feed)
        feed.start()
        return feed
    }

    func watch(_ topic: String, on broker: FaultBroker) throws -> OutputWatch {
        let watch = try OutputWatch(
            bootstrapServers: broker.bootstrapServers, topic: topic, partitions: Self.partitions)
        watches.append(watch)
        return watch
    }

    /// Sleeps `seconds` while the stream (and the fault) runs.
    func hold(_ seconds: TimeInterval) {
        if seconds > 0 { Thread.sleep(forTimeInterval: seconds) }
    }

    /// After the fault: every input acknowledged, the output drained, the exact accounting
    /// asserted (lost 0, no unknown ids) and the one-line summary printed.
    /// - Parameters:
    ///   - heldBack: ids sent before the fault ended (their catch-up is the recovery).
    ///   - extra: more figures for the summary, evaluated once the output has drained.
    @discardableResult
    func settle(
        _ name: String, feed: EventFeed, watch: OutputWatch, broker: FaultBroker, faultEnd: Date, heldBack: Int,
        extra: @autoclosure () -> String = "", timeout: TimeInterval = 60, tansuOpenTransactionSkips: Bool = false
    ) throws -> FaultLedger {
        XCTAssertTrue(feed.waitUntilAcknowledged(timeout: timeout), "the feed's delivery reports came back")
        XCTAssertEqual(feed.failed, [], "every input was acknowledged by the broker (else the accounting is void)")
        // Not a failure by itself: the ledger below says exactly what is missing.
        let deadline = Date().addingTimeInterval(timeout)
        while watch.distinctCount < feed.ids.count && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let ledger = try FaultLedger.read(
            bootstrapServers: broker.bootstrapServers, topic: watch.topic, partitions: Self.partitions,
            expecting: feed.ids)
        let recovery = watch.catchUp(of: feed.ids.prefix(heldBack), after: faultEnd)
        let resumed = watch.resumption(after: faultEnd).map { String(format: "output resumed after %.1f s", $0) }
        let line = ledger.summary(
            name, recovery: recovery, run: elapsed,
            extra: ([resumed].compactMap { $0 } + [extra()])
                .filter { !$0.isEmpty }.joined(separator: ", "))
        print(line)
        if !ledger.lost.isEmpty {
            // What the workers wrote, whether or not the broker made it visible: tells a
            // worker that stopped producing from a transaction the broker never completed.
            let uncommitted = try? FaultLedger.read(
                bootstrapServers: broker.bootstrapServers, topic: watch.topic, partitions: Self.partitions,
                expecting: feed.ids, timeout: 10, isolation: .readUncommitted)
            print(
                "read_uncommitted: \(uncommitted.map { "out \($0.distinctOut), lost \($0.lost.count)" } ?? "unreadable")"
            )
            workers.forEach { print($0.postMortem()) }
            print("broker log tail:\n" + broker.logTail())
            if tansuOpenTransactionSkips, let uncommitted, uncommitted.lost.isEmpty {
                // Every output was written (nothing lost by the worker), but the broker never made
                // the later transactions visible. Tansu 0.6 times no transaction out, and commits a
                // transaction only once every transaction overlapping it has ended; a produce of
                // the old producer epoch still in flight during the pause is the likely opener.
                throw XCTSkip(
                    "\(ledger.lost.count) of \(feed.ids.count) outputs written (read_uncommitted sees all) but never "
                        + "made visible to read_committed readers: Tansu never completed the worker's later transactions"
                )
            }
        }
        XCTAssertEqual(ledger.lost.count, 0, "lost ids (first 10): \(ledger.lost.prefix(10))")
        XCTAssertEqual(ledger.unknown, [], "every output id is an input id")
        XCTAssertEqual(ledger.distinctOut, feed.ids.count, "one distinct output per input")
        return ledger
    }

    /// What a worker's log says it went through: partitions taken away by the group
    /// (session expired) and sessions it restarted itself after a failed delivery.
    static func history(_ worker: WorkerProcess) -> String {
        "partitions lost \(worker.logLines(containing: "rebalance: lost(").count) times, "
            + "session restarts \(worker.logLines(containing: "rejoining the group").count)"
    }

    /// Resident memory of a process in KiB (VmRSS in /proc/PID/status).
    static func residentKiB(_ pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }
        return nil
    }
}
