import Foundation
import Logging
import SluiceEvents
import SluiceJSON
import SluiceKafka
import SluiceML
import SluicePipeline
import SluiceRegistry
import SluiceTesting
import SluiceWorkflow
import XCTest

/// Model rollout against a real broker: a sentiment worker following the control
/// topic, heads announced with `ModelRollout` (what `sluice deploy` runs) or
/// produced straight to the topic. Inputs are pre-embedded events written to the
/// sentiment stage's input, so only the stage under test runs.
final class RolloutTests: PipelineTestCase {
    static let headPath = PackagePaths.root.appendingPathComponent("models/sentiment-head.json").path

    func rolloutWorkflow() throws -> Workflow {
        try workflowFile(
            """
            workflow: rollout
            topics: { posts: {partitions: 1}, features: {partitions: 1}, scored: {partitions: 1}, dlq: {partitions: 1} }
            input: posts
            output: scored
            dead_letter: dlq
            stages:
              - { name: features, task: embed, input: posts, output: features }
              - name: sentiment
                task: sentiment
                input: features
                output: scored
                batch: { size: 16, wait_ms: 10 }
                head: \(Self.headPath)
            """
        ).workflow
    }

    /// A sentiment worker on a thread that follows the control topic (and heartbeats to the registry).
    func startFollowingWorker(_ workflow: Workflow, id: String = "sentiment-0") throws -> RunningWorker {
        let spec = try XCTUnwrap(workflow.stage(named: "sentiment"))
        let running = RunningWorker(
            worker: StageWorker(
                workflow: workflow, stage: spec, step: try StageFactory.make(spec, workflow: workflow),
                options: WorkerOptions(
                    brokers: broker.bootstrapServers, workerID: id,
                    registry: RegistrySettings(heartbeatSeconds: 0.5), controlTopic: ModelControl.defaultTopic),
                logger: Logger(label: "test.sentiment")))
        workers.append(running)
        try running.waitForAssignment(timeout: 30)
        return running
    }

    /// The committed head with a new version and its neutral bias raised, so it disagrees sometimes.
    func variantHead(version: String, neutralShift: Float = 1.0) throws -> [UInt8] {
        let original = try JSONValue.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.headPath))))
        guard case .object(var root) = original, case .object(var weights) = root["weights"]!,
            case .object(var bias) = weights["output.bias"]!, let data = Data(base64Encoded: bias["data"]!.stringValue!)
        else { throw PipelineError("unexpected head file layout") }
        var values = data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
        }
        values[1] += neutralShift  // labels are negative, neutral, positive
        var bytes = Data()
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        bias["data"] = .string(bytes.base64EncodedString())
        weights["output.bias"] = .object(bias)
        root["weights"] = .object(weights)
        root["version"] = .string(version)
        return Array(JSONValue.object(root).serialized().utf8)
    }

    func rollout(_ workflow: Workflow, stage: String = "sentiment") throws -> ModelRollout {
        try ModelRollout.target(workflow: workflow, stage: stage, config: config, by: "test")
    }

    /// Announces `bytes` as `sluice deploy` does; returns when the control topic acknowledged it.
    @discardableResult
    func deploy(_ workflow: Workflow, _ bytes: [UInt8], canary: Double? = nil) throws -> ModelRollout.Outcome {
        let target = try rollout(workflow)
        let checked = try target.check(headBytes: bytes)
        return try target.announce(checked.file, bytes: checked.bytes, canary: canary)
    }

    /// Pre-embedded events (unit vectors from a fixed seed) for the sentiment stage's input.
    func embeddedEvents(_ ids: [String]) -> [KafkaProducerMessage] {
        ids.map { id in
            var state = FNV1a.hash64(id)
            var vector = (0..<384).map { _ -> Float in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
            }
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            vector = vector.map { $0 / norm }
            let value = Envelope(id: id, createdAt: EventClock.nowMicros(), text: "event \(id)", embedding: vector)
                .encoded()
            return KafkaProducerMessage(topic: "features", key: Array(id.utf8), value: value)
        }
    }

    func readScored(count: Int, timeout: TimeInterval = 60) throws -> [Envelope] {
        try readTopic("scored", timeout: timeout) { $0.count >= count }.map {
            try Envelope.decode($0.value, fallbackID: "", fallbackCreatedAt: 0)
        }
    }

    func version(_ event: Envelope) -> String? { event.results["sentiment"]?["head_version"]?.stringValue }

    // MARK: a deploy during a steady stream

    func testDeployDuringSteadyStreamSwitchesBetweenBatchesWithNoLossOrDuplicate() throws {
        let workflow = try rolloutWorkflow()
        try applyTopics(workflow)
        let worker = try startFollowingWorker(workflow)
        let oldVersion = try rollout(workflow).slot.current.active.version  // the committed head's
        XCTAssertEqual(worker.worker.headWatcher?.changes.count, 0, "nothing deployed yet")

        // About 500 events/s for 3 s, on a thread; the deploy lands in the middle.
        let ids = (0..<1_500).map { String(format: "e%05d", $0) }
        let messages = embeddedEvents(ids)
        let producerDone = DispatchSemaphore(value: 0)
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: config))
        nonisolated(unsafe) var produceFailures = 0
        Thread {
            for start in stride(from: 0, to: messages.count, by: 20) {
                let reports = (try? producer.sendBatch(Array(messages[start..<min(start + 20, messages.count)]))) ?? []
                produceFailures += reports.filter { !$0.isDelivered }.count
                Thread.sleep(forTimeInterval: 0.04)
            }
            producerDone.signal()
        }.start()
        Thread.sleep(forTimeInterval: 1.2)
        let announceStart = EventClock.nowMicros()
        let outcome = try deploy(workflow, try variantHead(version: "v2"))
        let acknowledged = EventClock.nowMicros()
        XCTAssertEqual(outcome.state.active, "v2")
        XCTAssertEqual(outcome.state.previous, [oldVersion])
        XCTAssertEqual(outcome.headsWritten, [oldVersion, "v2"], "the first deploy keeps the file's head fetchable")
        producerDone.wait()
        producer.close()
        XCTAssertEqual(produceFailures, 0)

        let records = try readTopic("scored", timeout: 60) { (try? self.distinctIDs($0).ids.count) ?? 0 >= ids.count }
        let (seen, duplicates) = try distinctIDs(records)
        XCTAssertEqual(seen, Set(ids), "every event comes out")
        XCTAssertEqual(duplicates, 0, "no event is handled twice because of the switch")
        let events = try records.sorted { $0.offset < $1.offset }.map {
            try Envelope.decode($0.value, fallbackID: "", fallbackCreatedAt: 0)
        }
        let versions = events.map { version($0) ?? "none" }
        // One partition, one worker: output order is input order, so the versions read old...old new...new.
        let firstNew = try XCTUnwrap(versions.firstIndex(of: "v2"), "events after the switch carry the new version")
        XCTAssertGreaterThan(firstNew, 0, "events before the switch carry the old version")
        XCTAssertTrue(
            versions[..<firstNew].allSatisfy { $0 == oldVersion }, "before the switch: \(Set(versions[..<firstNew]))")
        XCTAssertTrue(
            versions[firstNew...].allSatisfy { $0 == "v2" }, "after the switch: \(Set(versions[firstNew...]))")
        // The switch falls between batches: every batch (same hop times) was scored by one head.
        var batchVersions: [String: Set<String>] = [:]
        for (event, version) in zip(events, versions) {
            let hop = try XCTUnwrap(event.hops.last)
            batchVersions["\(hop.consumedAt)|\(hop.producedAt)", default: []].insert(version)
        }
        XCTAssertTrue(batchVersions.values.allSatisfy { $0.count == 1 }, "a batch scored by two heads")

        let watcher = try XCTUnwrap(worker.worker.headWatcher)
        let change = try XCTUnwrap(watcher.changes.last)
        XCTAssertEqual(change.active, "v2")
        XCTAssertTrue(watcher.refusals.isEmpty, "\(watcher.refusals)")
        let firstNewHop = try XCTUnwrap(events[firstNew].hops.last)
        print(
            "rollout figures: deploy took \((acknowledged - announceStart) / 1000) ms (reading the control topic, "
                + "writing two heads and the state); state written -> installed in the worker "
                + "\((change.at - outcome.state.announcedAt) / 1000) ms; installed -> first batch on the new head "
                + "\((firstNewHop.consumedAt - change.at) / 1000) ms; \(events.count) events "
                + "(\(firstNew) old, \(events.count - firstNew) new) in \(batchVersions.count) batches, \(duplicates) duplicates"
        )

        // The registry shows the version the worker runs now (read at each heartbeat).
        try waitUntil("the registry to show v2", timeout: 20) {
            let view = try? RegistryView.read(config: config)
            return view?.members.first { $0.entry.member == worker.worker.registryMember }?.entry.headVersion == "v2"
        }
    }

    // MARK: refusals

    func testBadAnnouncementsAreRefusedByDeployAndByWorkersWhichKeepTheirHead() throws {
        let workflow = try rolloutWorkflow()
        try applyTopics(workflow)
        let target = try rollout(workflow)

        // `sluice deploy` refuses before writing anything.
        XCTAssertThrowsError(try rollout(workflow, stage: "nope")) {
            XCTAssertTrue("\($0)".contains("unknown stage 'nope'") && "\($0)".contains("--stage"), "\($0)")
        }
        XCTAssertThrowsError(try rollout(workflow, stage: "features")) {
            XCTAssertTrue("\($0)".contains("has no head"), "\($0)")
        }
        let tenD = Self.smallHead(version: "ten-d", dimension: 10, model: target.slot.model)
        XCTAssertThrowsError(try target.check(headBytes: tenD)) {
            XCTAssertTrue("\($0)".contains("10-dimensional") && "\($0)".contains("384"), "\($0)")
        }
        let good = try variantHead(version: "v2")
        XCTAssertThrowsError(try target.check(headBytes: Array(good.prefix(4_000)))) {
            XCTAssertTrue("\($0)".contains("not valid JSON") && "\($0)".contains("sluice train"), "\($0)")
        }
        XCTAssertTrue(try target.read().stateRecord == nil, "a refused deploy writes nothing")

        // Bad records produced straight to the control topic: each refused by the worker.
        let worker = try startFollowingWorker(workflow)
        let watcher = try XCTUnwrap(worker.worker.headWatcher)
        let original = try rollout(workflow).slot.current.active.version
        let key = "rollout/sentiment"
        func state(_ active: String) -> [UInt8] {
            ModelState(workflow: "rollout", stage: "sentiment", active: active, by: "test").encoded()
        }
        var otherModel = try JSONValue.parse(good)
        if case .object(var root) = otherModel {
            root["model"] = .string("some-other-encoder@0000")
            root["version"] = .string("other-model")
            otherModel = .object(root)
        }
        let topic = ModelControl.defaultTopic
        let bad: [(String, [UInt8])] = [
            (key, Array("{not json".utf8)),
            (key, state("ghost")),
            ("\(key)/head/ten-d", tenD), (key, state("ten-d")),
            ("\(key)/head/truncated", Array(good.prefix(4_000))), (key, state("truncated")),
            ("\(key)/head/other-model", Array(otherModel.serialized().utf8)), (key, state("other-model")),
        ]
        for (k, v) in bad { try produce([KafkaProducerMessage(topic: topic, key: k, value: v)]) }
        try waitUntil("five refusals", timeout: 20) { watcher.refusals.count >= 5 }
        let refusals = watcher.refusals
        XCTAssertTrue(refusals[0].contains("unreadable"), refusals[0])
        XCTAssertTrue(refusals[1].contains("'ghost' is not on the control topic"), refusals[1])
        XCTAssertTrue(refusals[2].contains("10-dimensional"), refusals[2])
        XCTAssertTrue(refusals[3].contains("not valid JSON"), refusals[3])
        XCTAssertTrue(refusals[4].contains("some-other-encoder"), refusals[4])
        XCTAssertTrue(watcher.changes.isEmpty, "nothing was installed")

        try produce(embeddedEvents((0..<50).map { "k\($0)" }))
        let kept = try readScored(count: 50)
        XCTAssertEqual(kept.count, 50)
        XCTAssertTrue(
            kept.allSatisfy { version($0) == original }, "the worker kept its head: \(Set(kept.map(version)))")

        // A good announcement after all that still goes through.
        try deploy(workflow, good)
        try waitUntil("v2 installed", timeout: 20) { watcher.changes.last?.active == "v2" }
        XCTAssertEqual(watcher.refusals.count, 5)
    }

    /// A worker started after a deploy runs the deployed head from its first batch.
    func testRestartedWorkerRunsTheDeployedHeadFromItsFirstBatch() throws {
        let workflow = try rolloutWorkflow()
        try applyTopics(workflow)
        try deploy(workflow, try variantHead(version: "v2"))
        try produce(embeddedEvents((0..<40).map { "r\($0)" }))
        let worker = try startFollowingWorker(workflow)
        let events = try readScored(count: 40)
        XCTAssertEqual(events.count, 40)
        XCTAssertTrue(events.allSatisfy { version($0) == "v2" }, "\(Set(events.map(version)))")
        XCTAssertEqual(worker.worker.headWatcher?.changes.count, 1)
    }

    // MARK: canary, promote, rollback

    func testCanaryScoresAFractionByEventIDThenPromoteAndRollback() throws {
        let workflow = try rolloutWorkflow()
        try applyTopics(workflow)
        let worker = try startFollowingWorker(workflow)
        let watcher = try XCTUnwrap(worker.worker.headWatcher)
        let original = try rollout(workflow).slot.current.active.version

        let started = try deploy(workflow, try variantHead(version: "v2"), canary: 0.25)
        XCTAssertEqual(started.state.active, original)
        XCTAssertEqual(started.state.canary, ModelState.Canary(version: "v2", fraction: 0.25))
        try waitUntil("the canary installed", timeout: 20) { watcher.changes.last?.canary == "v2" }
        try waitUntil("the registry to show the canary beside the active head", timeout: 20) {
            let entry = (try? RegistryView.read(config: config))?.members.first {
                $0.entry.member == worker.worker.registryMember
            }?.entry
            return entry?.headVersion == original && entry?.canaryVersion == "v2"
        }

        let ids = (0..<400).map { "c\($0)" }
        try produce(embeddedEvents(ids))
        var events = try readScored(count: ids.count)
        XCTAssertEqual(Set(events.map(\.id)), Set(ids))
        var canaried = 0
        var agreed = 0
        for event in events {
            let sentiment = try XCTUnwrap(event.results["sentiment"])
            XCTAssertEqual(sentiment["head_version"]?.stringValue, original, "the active head scores every event")
            let canary = sentiment["canary"]
            XCTAssertEqual(
                canary != nil, ModelControl.inCanary(eventID: event.id, fraction: 0.25),
                "the canary choice is the deterministic one for \(event.id)")
            guard let canary else { continue }
            canaried += 1
            XCTAssertEqual(canary["head_version"]?.stringValue, "v2")
            let scores = ["negative", "neutral", "positive"].map { sentiment[$0]!.doubleValue! }
            let activeLabel = ["negative", "neutral", "positive"][scores.indices.max { scores[$0] < scores[$1] }!]
            let agrees = try XCTUnwrap(canary["agrees"]?.boolValue)
            XCTAssertEqual(agrees, canary["label"]?.stringValue == activeLabel)
            if agrees { agreed += 1 }
        }
        let share = Double(canaried) / Double(ids.count)
        XCTAssertEqual(share, 0.25, accuracy: 0.07, "the fraction is roughly honoured")
        XCTAssertGreaterThan(agreed, 0)
        XCTAssertLessThan(agreed, canaried, "v2 leans neutral, so it disagrees sometimes")
        print(
            "canary figures: \(canaried) of \(ids.count) events canaried (\(share)), agreement \(Double(agreed) / Double(canaried))"
        )

        // The same ids again (a replay) are chosen the same way.
        let replayed = ids.filter { ModelControl.inCanary(eventID: $0, fraction: 0.25) }
        XCTAssertEqual(replayed.count, canaried)

        let promoted = try rollout(workflow).promote()
        XCTAssertEqual(promoted.state.active, "v2")
        XCTAssertNil(promoted.state.canary)
        XCTAssertEqual(promoted.state.previous, [original])
        try waitUntil("v2 promoted", timeout: 20) {
            watcher.changes.last.map { $0.active == "v2" && $0.canary == nil } ?? false
        }
        try produce(embeddedEvents((0..<60).map { "p\($0)" }))
        events = try readScored(count: ids.count + 60).filter { $0.id.hasPrefix("p") }
        XCTAssertEqual(events.count, 60)
        XCTAssertTrue(events.allSatisfy { version($0) == "v2" && $0.results["sentiment"]?["canary"] == nil })

        let rolledBack = try rollout(workflow).rollback()
        XCTAssertEqual(rolledBack.state.active, original)
        XCTAssertEqual(rolledBack.state.previous, [])
        try waitUntil("rolled back", timeout: 20) { watcher.changes.last?.active == original }
        try produce(embeddedEvents((0..<60).map { "b\($0)" }))
        events = try readScored(count: ids.count + 120).filter { $0.id.hasPrefix("b") }
        XCTAssertEqual(events.count, 60)
        XCTAssertTrue(events.allSatisfy { version($0) == original }, "\(Set(events.map(version)))")
        XCTAssertThrowsError(try rollout(workflow).rollback()) {
            XCTAssertTrue("\($0)".contains("no previous version"), "\($0)")
        }
        XCTAssertTrue(watcher.refusals.isEmpty, "\(watcher.refusals)")
    }

    /// A valid softmax head of another input dimension, for the same model and labels.
    static func smallHead(version: String, dimension: Int, model: String) -> [UInt8] {
        func encode(_ values: [Float]) -> JSONValue {
            var data = Data()
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            return .string(data.base64EncodedString())
        }
        let root: JSONValue = .object([
            "format": .string("sluice-head/1"), "version": .string(version), "kind": .string("softmax"),
            "labels": .array(["negative", "neutral", "positive"].map { .string($0) }),
            "input_dimension": .int(Int64(dimension)), "hidden_size": .int(0),
            "model": .string(model), "corpus_sha256": .string(""), "training": .object([:]),
            "weights": .object([
                "weight": .object([
                    "shape": .array([.int(Int64(dimension)), .int(3)]),
                    "data": encode([Float](repeating: 0.1, count: dimension * 3)),
                ]),
                "bias": .object(["shape": .array([.int(3)]), "data": encode([0, 0, 0])]),
            ]),
        ])
        return Array(root.serialized().utf8)
    }
}
