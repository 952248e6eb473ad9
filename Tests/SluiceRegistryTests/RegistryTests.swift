import Foundation
import Logging
import SluiceBroker
import SluiceJSON
import SluiceKafka
import SluicePipeline
import SluiceRegistry
import SluiceTesting
import SluiceWorkflow
import XCTest

/// The registry against a real (Tansu) broker: workers announce themselves,
/// heartbeat, and delete their record when they stop; a member that stops
/// heartbeating without a tombstone turns stale.
final class RegistryTests: XCTestCase {
    var broker: EmbeddedBroker!
    /// A group per worker thread: waiting on it works any number of times.
    var running: [(worker: StageWorker, done: DispatchGroup)] = []
    let topic = "registry-test"

    override func setUpWithError() throws { broker = try TestBroker.start() }

    override func tearDown() {
        for item in running {
            item.worker.stop()
            _ = item.done.wait(timeout: .now() + 20)
        }
        broker?.stop()
        broker = nil
    }

    var config: KafkaConfig { KafkaConfig(bootstrapServers: broker.bootstrapServers, clientID: name) }

    func workflow() throws -> Workflow {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wf-\(UUID().uuidString).yaml").path
        try """
        workflow: reg
        topics: { posts: {partitions: 2}, done: {partitions: 2}, dlq: {partitions: 1} }
        input: posts
        output: done
        dead_letter: dlq
        stages:
          - { name: relay, task: passthrough, input: posts, output: done }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return try Workflow.load(path: path)
    }

    func startWorker(_ workflow: Workflow, id: String) throws -> StageWorker {
        let spec = try XCTUnwrap(workflow.stage(named: "relay"))
        let worker = StageWorker(
            workflow: workflow, stage: spec, step: try StageFactory.make(spec, workflow: workflow),
            options: WorkerOptions(
                brokers: broker.bootstrapServers, workerID: id,
                registry: RegistrySettings(topic: topic, heartbeatSeconds: 0.5)),
            logger: Logger(label: "test.\(id)"))
        let done = DispatchGroup()
        done.enter()
        Thread {
            try? worker.run()
            done.leave()
        }.start()
        running.append((worker, done))
        return worker
    }

    func view(staleAfter: Double = 10) throws -> RegistryView {
        try RegistryView.read(config: config, topic: topic, staleAfterSeconds: staleAfter)
    }

    /// Polls the registry until `done` holds for the view, or fails with the last view.
    @discardableResult
    func waitForView(_ what: String, timeout: TimeInterval = 30, _ done: (RegistryView) -> Bool) throws -> RegistryView
    {
        let deadline = Date().addingTimeInterval(timeout)
        var last = try view()
        while !done(last) {
            guard Date() < deadline else {
                XCTFail("registry never showed \(what) within \(timeout) s; last: \(last.members.map(\.entry))")
                return last
            }
            Thread.sleep(forTimeInterval: 0.3)
            last = try view()
        }
        return last
    }

    func testWorkersAnnounceHeartbeatAndLeaveWithATombstone() throws {
        let workflow = try workflow()
        _ = try TopicApplier.apply(workflow.topics, admin: try KafkaAdmin(config: config))
        let first = try startWorker(workflow, id: "w-a")
        let second = try startWorker(workflow, id: "w-b")
        let both = try waitForView("two workers holding both partitions") { view in
            view.members.count == 2 && view.members.allSatisfy { !$0.entry.partitions.isEmpty }
                && Set(view.members.flatMap(\.entry.partitions)) == ["posts[0]", "posts[1]"]
        }
        XCTAssertEqual(Set(both.members.map(\.entry.member)), ["reg/relay/w-a", "reg/relay/w-b"])
        for member in both.members {
            let entry = member.entry
            XCTAssertEqual(entry.kind, .worker)
            XCTAssertEqual(entry.workflow, "reg")
            XCTAssertEqual(entry.stage, "relay")
            XCTAssertEqual(entry.pid, ProcessInfo.processInfo.processIdentifier)
            XCTAssertEqual(entry.host, ProcessInfo.processInfo.hostName)
            XCTAssertEqual(entry.health, .ok)
            XCTAssertNil(entry.model, "a passthrough stage runs no model")
            XCTAssertGreaterThan(entry.residentBytes ?? 0, 1_000_000, "VmRSS of a running test process")
            XCTAssertLessThanOrEqual(entry.startedAt, entry.lastHeartbeat)
            XCTAssertFalse(member.isStale)
        }
        // The topic exists as the announcer created it: one partition.
        let registryTopic = try KafkaAdmin(config: config).listTopics().first { $0.name == topic }
        XCTAssertEqual(registryTopic?.partitions, [0])

        // Events processed show up in the next heartbeats.
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: config))
        let messages = (0..<30).map { i in
            KafkaProducerMessage(topic: "posts", key: "k\(i)", value: Array(#"{"id":"e\#(i)","text":"hi \#(i)"}"#.utf8))
        }
        XCTAssertTrue(try producer.sendBatch(messages).allSatisfy(\.isDelivered))
        producer.close()
        try waitForView("30 events processed") { view in
            view.members.map(\.entry.eventsProcessed).reduce(0, +) >= 30
        }

        // Heartbeats advance.
        let before = try XCTUnwrap(try view().members.first { $0.entry.member == "reg/relay/w-a" }).entry.lastHeartbeat
        let later = try waitForView("w-a's heartbeat advance", timeout: 10) { view in
            (view.members.first { $0.entry.member == "reg/relay/w-a" }?.entry.lastHeartbeat ?? 0) > before
        }
        XCTAssertGreaterThan(
            try XCTUnwrap(later.members.first { $0.entry.member == "reg/relay/w-a" }).entry.lastHeartbeat, before)

        // A clean stop writes a tombstone: the member is gone at once, not merely stale later.
        second.stop()
        XCTAssertEqual(running[1].done.wait(timeout: .now() + 20), .success, "the worker returns after stop()")
        let raw = try RegistryView.readAll(config: config, topic: topic)
        let lastOfB = try XCTUnwrap(raw.last { $0.key == Array("reg/relay/w-b".utf8) })
        XCTAssertEqual(lastOfB.value, [], "the last record under a stopped worker's key is a tombstone")
        let after = try view()
        XCTAssertEqual(after.members.map(\.entry.member), ["reg/relay/w-a"])
        XCTAssertFalse(after.members[0].isStale)
        _ = first
    }

    func testMemberWithoutHeartbeatTurnsStale() throws {
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: config))
        defer { producer.close() }
        try Registry.ensureTopic(topic, admin: try KafkaAdmin(config: config))
        let now = Registry.nowMicros()
        func entry(_ name: String, heartbeatAgo seconds: Double) -> KafkaProducerMessage {
            let record = RegistryEntry(
                kind: .worker, member: "reg/relay/\(name)", workflow: "reg", stage: "relay", host: "h", pid: 1,
                partitions: ["posts[0]"], startedAt: now - 60_000_000, lastHeartbeat: now - Int64(seconds * 1e6))
            return KafkaProducerMessage(topic: topic, key: record.member, value: record.encoded())
        }
        // "crashed" heartbeated 30 s ago and never wrote a tombstone; "fresh" 1 s ago; "slow" 5 s ago.
        let reports = try producer.sendBatch([
            entry("crashed", heartbeatAgo: 30), entry("fresh", heartbeatAgo: 1), entry("slow", heartbeatAgo: 5),
        ])
        XCTAssertTrue(reports.allSatisfy(\.isDelivered))
        let registry = try view(staleAfter: 10)
        let byName = Dictionary(uniqueKeysWithValues: registry.members.map { ($0.entry.member, $0) })
        XCTAssertEqual(Set(byName.keys), ["reg/relay/crashed", "reg/relay/fresh", "reg/relay/slow"])
        XCTAssertEqual(byName["reg/relay/crashed"]?.isStale, true, "30 s without a heartbeat is past a 10 s timeout")
        XCTAssertGreaterThanOrEqual(byName["reg/relay/crashed"]?.heartbeatAge ?? 0, 30)
        XCTAssertEqual(byName["reg/relay/fresh"]?.isStale, false)
        XCTAssertEqual(byName["reg/relay/slow"]?.isStale, false, "5 s is within a 10 s timeout")
        XCTAssertEqual(try view(staleAfter: 3).stale.map(\.entry.member), ["reg/relay/crashed", "reg/relay/slow"])
        XCTAssertEqual(registry.live.count, 2)
    }

    /// Folding alone: latest value wins, a tombstone deletes, a later record revives, junk is ignored.
    func testFoldKeepsLatestAndHonoursTombstones() {
        let now: Int64 = 1_000_000_000_000
        func value(_ member: String, events: Int) -> [UInt8] {
            RegistryEntry(
                kind: .worker, member: member, workflow: "w", stage: "s", host: "h", pid: 2, startedAt: now,
                lastHeartbeat: now, eventsProcessed: events
            ).encoded()
        }
        let records: [(key: [UInt8]?, value: [UInt8])] = [
            (Array("w/s/a".utf8), value("w/s/a", events: 1)),
            (Array("w/s/b".utf8), value("w/s/b", events: 1)),
            (Array("w/s/a".utf8), value("w/s/a", events: 7)),
            (Array("w/s/b".utf8), []),
            (Array("w/s/c".utf8), value("w/s/c", events: 1)),
            (Array("w/s/c".utf8), []),
            (Array("w/s/c".utf8), value("w/s/c", events: 3)),
            (Array("w/s/d".utf8), Array("not json".utf8)),
            (nil, value("w/s/e", events: 1)),
        ]
        let view = RegistryView.fold(records, staleAfterSeconds: 10, now: now)
        XCTAssertEqual(view.members.map(\.entry.member), ["w/s/a", "w/s/c"])
        XCTAssertEqual(view.members.map(\.entry.eventsProcessed), [7, 3])
        XCTAssertEqual(view.recordsRead, records.count)
    }

    func testEntryJSONRoundTrip() throws {
        let entry = RegistryEntry(
            kind: .monitor, member: "w/monitor/h:9", workflow: "w", stage: nil, model: "m@1", headVersion: "v2",
            host: "h", pid: 9, partitions: ["a[0]", "a[1]"], startedAt: 5, lastHeartbeat: 6, health: .degraded,
            rejoins: 2, residentBytes: 4096, eventsProcessed: 11)
        XCTAssertEqual(RegistryEntry(bytes: entry.encoded()), entry)
        var canaried = entry
        canaried.canaryVersion = "v3"
        XCTAssertEqual(RegistryEntry(bytes: canaried.encoded())?.canaryVersion, "v3")
        var quantized = entry
        quantized.precision = "int8 (int8 AVX2 (vpmaddubsw + vpmaddwd))"
        XCTAssertEqual(RegistryEntry(bytes: quantized.encoded())?.precision, quantized.precision)
        let json = try JSONValue.parse(entry.encoded())
        XCTAssertEqual(json["stage"], .null)
        XCTAssertEqual(json["precision"], .null)
        XCTAssertEqual(json["health"]?.stringValue, "degraded")
        XCTAssertNil(RegistryEntry(bytes: Array(#"{"format":"other/1"}"#.utf8)), "another format is refused")
    }
}
