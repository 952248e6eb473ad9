import Foundation
import Logging
import SluiceBroker
import SluiceEvents
import SluiceKafka
import SluiceML
import SluicePipeline
import SluiceTesting
import SluiceWorkflow
import XCTest

/// A real Tansu broker per test, the workflow's topics, workers on threads or
/// as `sluice worker` processes, and helpers to produce and read back events.
class PipelineTestCase: XCTestCase {
    var broker: EmbeddedBroker!
    var workers: [RunningWorker] = []
    var processes: [Process] = []
    /// Each worker process's combined stdout and stderr, by pid.
    var processLogs: [Int32: URL] = [:]

    override func setUpWithError() throws {
        broker = try TestBroker.start()
    }

    override func tearDown() {
        workers.forEach { $0.stop() }
        processes.filter(\.isRunning).forEach { kill($0.processIdentifier, SIGKILL) }
        broker?.stop()
        broker = nil
    }

    var config: KafkaConfig { KafkaConfig(bootstrapServers: broker.bootstrapServers, clientID: name) }

    /// The shipped example workflow (its head path resolves against topics/).
    func exampleWorkflow() throws -> Workflow {
        try Workflow.load(path: PackagePaths.root.appendingPathComponent("topics/sentiment-monitoring.yaml").path)
    }

    /// A workflow written for a test, saved beside the example so relative paths resolve the same way.
    func workflowFile(_ yaml: String) throws -> (workflow: Workflow, path: String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wf-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return (try Workflow.load(path: path), path)
    }

    func applyTopics(_ workflow: Workflow) throws {
        _ = try TopicApplier.apply(workflow.topics, admin: try KafkaAdmin(config: config))
    }

    /// Starts a worker of `stage` on its own thread and waits until it holds partitions.
    @discardableResult
    func startWorker(
        _ workflow: Workflow, stage: String, step: (any Stage)? = nil, properties: [String: String] = [:],
        waitForAssignment: Bool = true
    ) throws -> RunningWorker {
        let spec = try XCTUnwrap(workflow.stage(named: stage))
        let running = RunningWorker(
            worker: StageWorker(
                workflow: workflow, stage: spec, step: try step ?? StageFactory.make(spec, workflow: workflow),
                options: WorkerOptions(
                    brokers: broker.bootstrapServers, properties: properties, workerID: "\(stage)-\(workers.count)"),
                logger: Logger(label: "test.\(stage)")))
        workers.append(running)
        if waitForAssignment { try running.waitForAssignment(timeout: 30) }
        return running
    }

    /// Starts `sluice worker` as a child process (needs the release build: `make test` builds it first).
    func startWorkerProcess(workflowPath: String, stage: String, extra: [String] = []) throws -> Process {
        let binary = PackagePaths.root.appendingPathComponent(".build/release/sluice")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("\(binary.path) is not built; run `make test`, which builds it before the tests")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments =
            ["worker", "--workflow", workflowPath, "--stage", stage, "--brokers", broker.bootstrapServers] + extra
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("worker-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        processes.append(process)
        processLogs[process.processIdentifier] = log
        return process
    }

    func produce(_ messages: [KafkaProducerMessage]) throws {
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: config))
        defer { producer.close() }
        let reports = try producer.sendBatch(messages)
        XCTAssertTrue(reports.allSatisfy(\.isDelivered), "every test input must be acknowledged")
    }

    func event(id: String, text: String) -> KafkaProducerMessage {
        let value = Envelope(id: id, createdAt: EventClock.nowMicros(), text: text).encoded()
        return KafkaProducerMessage(topic: "posts", key: Array(id.utf8), value: value)
    }

    /// Reads `topic` from the beginning (read_committed) until `done` or the timeout.
    func readTopic(_ topic: String, timeout: TimeInterval, until done: ([KafkaRecord]) -> Bool) throws -> [KafkaRecord]
    {
        let consumer = try KafkaConsumer(
            config: KafkaConsumerConfig(common: config, groupID: "reader-\(UUID().uuidString)"))
        defer { consumer.close() }
        try consumer.subscribe(topics: [topic])
        var records: [KafkaRecord] = []
        let deadline = Date().addingTimeInterval(timeout)
        while !done(records) && Date() < deadline {
            records += try consumer.poll(maxRecords: 1_000, timeoutMs: 200)
        }
        return records
    }

    func distinctIDs(_ records: [KafkaRecord]) throws -> (ids: Set<String>, duplicates: Int) {
        var ids = Set<String>()
        var duplicates = 0
        for record in records {
            let event = try Envelope.decode(record.value, fallbackID: "", fallbackCreatedAt: 0)
            if !ids.insert(event.id).inserted { duplicates += 1 }
        }
        return (ids, duplicates)
    }

    /// The first `count` distinct tweets of the corpus.
    static let tweets: [String] = {
        guard let rows = try? TweetCorpus.load().rows else { return [] }
        var seen = Set<String>()
        return rows.map(\.text).filter { !$0.isEmpty && seen.insert($0).inserted }
    }()

    func tweets(_ count: Int) throws -> [String] {
        guard Self.tweets.count >= count else { throw XCTSkip("the corpus is missing; run `make setup`") }
        return Array(Self.tweets.prefix(count))
    }
}

/// A `StageWorker` running on its own thread.
final class RunningWorker: @unchecked Sendable {
    let worker: StageWorker
    private let finished = DispatchSemaphore(value: 0)
    private(set) var error: (any Error)?

    init(worker: StageWorker) {
        self.worker = worker
        let thread = Thread { [self] in
            do { try worker.run() } catch { self.error = error }
            finished.signal()
        }
        thread.start()
    }

    func waitForAssignment(timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while worker.counters.snapshot.assigned.isEmpty {
            guard Date() < deadline else { throw PipelineError("worker got no partitions within \(timeout) s") }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// Stops after the batch in hand and waits for the clean exit.
    func stop() {
        worker.stop()
        // Signal again on success, so that a second stop() (tearDown's) returns at once.
        if finished.wait(timeout: .now() + 30) == .success { finished.signal() }
    }
}
