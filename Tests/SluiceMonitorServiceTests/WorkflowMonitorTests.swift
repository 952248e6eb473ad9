import Foundation
import Logging
import SluiceBroker
import SluiceHTTP
import SluiceJSON
import SluiceKafka
import SluiceMonitor
import SluiceMonitorService
import SluicePipeline
import SluiceTesting
import SluiceWorkflow
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The monitor against a running workflow: the three stages of
/// topics/sentiment-monitoring.yaml run in-process (real MiniLM, real heads) on the
/// embedded broker, 100 posts go in, and the monitor must see every stage and hop,
/// serve /metrics, and publish a metrics record.
final class WorkflowMonitorTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    var broker: EmbeddedBroker!

    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(".deps/model").path) else {
            throw XCTSkip("no model at .deps/model; run `make setup`")
        }
        broker = try TestBroker.start()
    }

    override func tearDown() {
        broker?.stop()
        broker = nil
    }

    func testMonitorSeesEveryStageAndHopServesMetricsAndPublishes() throws {
        let started = Date()
        let testDeadline = started.addingTimeInterval(85)
        // Loaded from the repo, so `head: ../models/sentiment-head.json` resolves against topics/.
        let workflow = try Workflow.load(
            path: Self.root.appendingPathComponent("topics/sentiment-monitoring.yaml").path)
        XCTAssertEqual(workflow.stages.map(\.name), ["features", "topics", "sentiment"])
        let brokers = broker.bootstrapServers
        let common = KafkaConfig(bootstrapServers: brokers, clientID: "monitor-test")
        let admin = try KafkaAdmin(config: common)
        let created = try admin.createTopics(
            workflow.topics.map { KafkaNewTopic(name: $0.name, partitions: Int32($0.partitions)) })
        XCTAssertEqual(created.values.filter { $0 != .created }.count, 0, "\(created)")

        // The three stages, one worker each, on their own threads.
        var quiet = Logger(label: "test.worker")
        quiet.logLevel = .warning
        var workers: [StageWorker] = []
        let finished = DispatchGroup()
        for stage in workflow.stages {
            let step = try StageFactory.make(
                stage, workflow: workflow, modelDirectory: Self.root.appendingPathComponent(".deps/model").path)
            let worker = StageWorker(
                workflow: workflow, stage: stage, step: step,
                options: WorkerOptions(brokers: brokers, workerID: "test-\(stage.name)"),
                logger: quiet)
            workers.append(worker)
            finished.enter()
            Thread.detachNewThread {
                do { try worker.run() } catch { XCTFail("worker \(stage.name) failed: \(error)") }
                finished.leave()
            }
        }

        let monitor = WorkflowMonitor(
            workflow: workflow,
            options: MonitorOptions(
                brokers: brokers, fromBeginning: true, tickSeconds: 0.5, publishSeconds: 1, probeSeconds: 1),
            logger: quiet)
        let monitorDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do { try monitor.run() } catch { XCTFail("monitor failed: \(error)") }
            monitorDone.signal()
        }
        let server = MetricsServer(port: 0) { monitor.prometheusText() }
        let port = try server.start()
        defer {
            server.stop()
            monitor.stop()
            workers.forEach { $0.stop() }
            _ = monitorDone.wait(timeout: .now() + 10)
            _ = finished.wait(timeout: .now() + 15)
        }

        // 100 posts.
        let subjects = [
            "the match", "my flight", "the election", "the new phone", "stock prices", "dinner with friends",
        ]
        let moods = [
            "was wonderful", "was a total disaster", "is fine I guess", "made me so happy", "is really annoying",
        ]
        let posts = (0..<100).map { i in
            KafkaProducerMessage(
                topic: workflow.input, key: "post-\(i)",
                value: Array(
                    JSONValue.object([
                        "id": .string("post-\(i)"),
                        "text": .string("\(subjects[i % subjects.count]) \(moods[i % moods.count]) #\(i)"),
                    ]).serialized().utf8))
        }
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: common))
        XCTAssertTrue(try producer.sendBatch(posts).allSatisfy(\.isDelivered))
        producer.close()

        // Wait until the monitor has read all 100 results and probed the groups afterwards.
        var readAllAt: Date?
        var probesAfter = 0
        while Date() < testDeadline.addingTimeInterval(-20) {
            let counters = monitor.counters()
            if readAllAt == nil && counters.envelopes >= 100 {
                readAllAt = Date()
                probesAfter = counters.probes + 2
            }
            if readAllAt != nil && counters.probes >= probesAfter { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let counters = monitor.counters()
        XCTAssertGreaterThanOrEqual(counters.envelopes, 100, "the monitor read \(counters.envelopes) of 100 results")
        XCTAssertEqual(counters.undecodable, 0)
        XCTAssertEqual(counters.deadLetters, 0)

        let all = try XCTUnwrap(monitor.snapshots().first { $0.windowSeconds == nil })
        XCTAssertGreaterThanOrEqual(all.events, 100)
        XCTAssertGreaterThan(all.endToEnd.count, 0)
        XCTAssertGreaterThan(all.endToEnd.p50, 0)
        XCTAssertGreaterThanOrEqual(all.endToEnd.p99, all.endToEnd.p50)
        XCTAssertGreaterThan(all.arrivalRate, 0)
        for name in ["features", "topics", "sentiment"] {
            let stage = try XCTUnwrap(all.stage(name), "stage \(name) missing")
            XCTAssertGreaterThanOrEqual(stage.events, 100, name)
            XCTAssertGreaterThan(stage.processingPerEvent.count, 0, name)
            XCTAssertGreaterThan(stage.processingPerBatch.count, 0, name)
            XCTAssertGreaterThanOrEqual(stage.processingPerEvent.p50, 0, name)
            XCTAssertGreaterThanOrEqual(stage.processingPerBatch.p99, stage.processingPerEvent.p99, name)
            XCTAssertGreaterThan(stage.throughput, 0, name)
            XCTAssertGreaterThanOrEqual(stage.replicasNeeded ?? 0, 1, name)
            let lag = try XCTUnwrap(stage.lag, "no lag report for \(name)")
            XCTAssertEqual(lag.partitions.count, 4, name)
            XCTAssertTrue(lag.partitions.allSatisfy { $0.lag >= 0 }, name)
            // Everything was processed and committed before the last probes.
            XCTAssertEqual(lag.total, 0, "\(name) still lags: \(lag)")
            if counters.membershipUnknown.contains(workflow.group(of: workflow.stage(named: name)!)) {
                XCTAssertNil(stage.replicas, name)
            } else {
                XCTAssertEqual(stage.replicas, 1, "\(name) runs one worker")
            }
        }
        for hop in ["input->features", "features->topics", "topics->sentiment"] {
            let figures = try XCTUnwrap(all.hop(hop), "hop \(hop) missing: \(all.hops.map(\.hop))")
            XCTAssertGreaterThanOrEqual(figures.delay.count, 100, hop)
            XCTAssertGreaterThanOrEqual(figures.delay.p50, 0, hop)
            XCTAssertGreaterThanOrEqual(figures.delay.max, figures.delay.p99, hop)
        }
        let efficiency = try XCTUnwrap(all.efficiency)
        XCTAssertTrue((0...1).contains(efficiency), "efficiency \(efficiency)")

        // /metrics over HTTP: every sample line parses, and the figures are there.
        let (status, body) = try httpGet("http://127.0.0.1:\(port)/metrics")
        XCTAssertEqual(status, 200)
        let samples = try parsePrometheus(body)
        for name in ["features", "topics", "sentiment"] {
            XCTAssertGreaterThanOrEqual(samples["sluice_stage_events_total{stage=\"\(name)\"}"] ?? 0, 100, name)
        }
        for hop in ["input->features", "features->topics", "topics->sentiment"] {
            XCTAssertGreaterThan(samples["sluice_hop_delay_seconds_count{hop=\"\(hop)\"}"] ?? 0, 0, hop)
        }
        XCTAssertNotNil(samples["sluice_stage_consumer_lag{stage=\"features\"}"])

        // A metrics record on the metrics topic.
        let metricsTopic = try XCTUnwrap(workflow.monitor.metricsTopic)
        let reader = try KafkaConsumer(config: KafkaConsumerConfig(common: common, groupID: "metrics-reader"))
        defer { reader.close() }
        try reader.subscribe(topics: [metricsTopic])
        var record: JSONValue?
        while record == nil && Date() < testDeadline {
            for r in try reader.poll(maxRecords: 100, timeoutMs: 200) {
                let json = try JSONValue.parse(r.value)
                if json["workflow"]?.stringValue == workflow.name, json["stages"]?.arrayValue?.count == 3 {
                    record = json
                }
            }
        }
        let metrics = try XCTUnwrap(record, "no metrics record on \(metricsTopic)")
        XCTAssertNotNil(metrics["window"]?.stringValue)
        XCTAssertEqual(metrics["hops"]?.arrayValue?.count, 3)
        XCTAssertGreaterThan(monitor.counters().metricsPublished, 0)

        let elapsed = Date().timeIntervalSince(started)
        print(
            "testMonitorSeesEveryStageAndHop: \(elapsed) s; all read \(readAllAt.map { $0.timeIntervalSince(started) } ?? -1) s in"
        )
        print(monitor.tableText())
        print("metrics record: \(metrics.serialized())")
        XCTAssertLessThan(elapsed, 90)
    }

    /// A blocking GET with URLSession.
    private func httpGet(_ address: String) throws -> (Int, String) {
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox()
        let task = URLSession.shared.dataTask(with: URL(string: address)!) { data, response, error in
            result.set(
                (response as? HTTPURLResponse)?.statusCode ?? -1,
                data.map { String(decoding: $0, as: UTF8.self) } ?? "", error)
            done.signal()
        }
        task.resume()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success, "GET \(address) timed out")
        let (status, body, error) = result.get()
        if let error { throw error }
        return (status, body)
    }

    /// Sample name with labels -> value; fails on any line that is neither a
    /// `# HELP` / `# TYPE` comment nor `name{labels} value`.
    private func parsePrometheus(_ text: String) throws -> [String: Double] {
        let sample = try NSRegularExpression(
            pattern:
                #"^([a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})?) (\S+)$"#
        )
        var samples: [String: Double] = [:]
        var lines = 0
        for line in text.split(separator: "\n") {
            let line = String(line)
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") { continue }
            let range = NSRange(line.startIndex..., in: line)
            guard let match = sample.firstMatch(in: line, range: range),
                let nameRange = Range(match.range(at: 1), in: line),
                let valueRange = Range(match.range(at: 4), in: line)
            else {
                XCTFail("unparsable exposition line: \(line)")
                continue
            }
            let valueText = String(line[valueRange])
            let value =
                valueText == "NaN"
                ? Double.nan : valueText == "+Inf" ? .infinity : valueText == "-Inf" ? -.infinity : Double(valueText)
            guard let value else {
                XCTFail("unparsable value in: \(line)")
                continue
            }
            samples[String(line[nameRange])] = value
            lines += 1
        }
        XCTAssertGreaterThan(lines, 50, "too few samples in /metrics")
        return samples
    }
}

private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: (Int, String, (any Error)?) = (-1, "", nil)
    func set(_ status: Int, _ body: String, _ error: (any Error)?) {
        lock.lock()
        value = (status, body, error)
        lock.unlock()
    }
    func get() -> (Int, String, (any Error)?) {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
