import Foundation
import Logging
import SluiceBroker
import SluiceEvents
import SluiceGateway
import SluiceJSON
import SluiceKafka
import SluicePipeline
import SluiceRegistry
import SluiceTesting
import SluiceWorkflow
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A real Tansu broker, a workflow's topics, workers on threads and a gateway on a
/// free loopback port, with a blocking HTTP client.
class GatewayTestCase: XCTestCase {
    var broker: EmbeddedBroker!
    var gateways: [Gateway] = []
    var workers: [(worker: StageWorker, done: DispatchSemaphore)] = []

    override func setUpWithError() throws {
        broker = try TestBroker.start()
    }

    override func tearDown() {
        gateways.forEach { $0.stop() }
        for (worker, done) in workers {
            worker.stop()
            _ = done.wait(timeout: .now() + 30)
        }
        broker?.stop()
        broker = nil
    }

    var config: KafkaConfig { KafkaConfig(bootstrapServers: broker.bootstrapServers, clientID: name) }

    /// Relay workflow: posts -> [pass: passthrough] -> done, dead letters to dlq.
    func relayWorkflow() throws -> Workflow {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gw-\(UUID().uuidString).yaml").path
        try """
        workflow: relay
        topics: { posts: {partitions: 2}, done: {partitions: 2}, dlq: {partitions: 1} }
        input: posts
        output: done
        dead_letter: dlq
        limits: { max_text_bytes: 1000 }
        stages:
          - { name: pass, task: passthrough, input: posts, output: done, batch: { size: 16, wait_ms: 5 } }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let workflow = try Workflow.load(path: path)
        _ = try TopicApplier.apply(workflow.topics, admin: try KafkaAdmin(config: config))
        return workflow
    }

    func startWorker(_ workflow: Workflow, stage: String) throws {
        let spec = try XCTUnwrap(workflow.stage(named: stage))
        var options = WorkerOptions(brokers: broker.bootstrapServers, workerID: "\(stage)-\(workers.count)")
        options.registry = RegistrySettings(heartbeatSeconds: 0.5)
        let worker = StageWorker(
            workflow: workflow, stage: spec, step: try StageFactory.make(spec, workflow: workflow), options: options,
            logger: Logger(label: "test.\(stage)"))
        let done = DispatchSemaphore(value: 0)
        Thread {
            try? worker.run()
            done.signal()
        }.start()
        workers.append((worker, done))
        let deadline = Date().addingTimeInterval(30)
        while worker.counters.snapshot.assigned.isEmpty {
            guard Date() < deadline else { throw PipelineError("worker of \(stage) got no partitions within 30 s") }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    func startGateway(_ workflow: Workflow, configure: (inout GatewayOptions) -> Void = { _ in }) throws -> Gateway {
        var options = GatewayOptions(brokers: broker.bootstrapServers)
        options.port = 0
        configure(&options)
        let gateway = Gateway(workflow: workflow, options: options, logger: Logger(label: "test.gateway"))
        try gateway.start()
        gateways.append(gateway)
        return gateway
    }

    struct Reply {
        var status: Int
        var body: String
        var headers: [String: String]
        var json: JSONValue? { try? JSONValue.parse(body) }
    }

    /// A blocking HTTP request to the gateway.
    func http(
        _ gateway: Gateway, _ method: String, _ path: String, body: String? = nil, token: String? = nil,
        headers: [String: String] = [:], timeout: TimeInterval = 30
    ) throws -> Reply {
        try Self.http(
            port: gateway.port!, method, path, body: body, token: token, headers: headers, timeout: timeout)
    }

    /// The same from any thread.
    static func http(
        port: Int, _ method: String, _ path: String, body: String? = nil, token: String? = nil,
        headers: [String: String] = [:], timeout: TimeInterval = 30
    ) throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = timeout
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let done = DispatchSemaphore(value: 0)
        let box = ReplyBox()
        URLSession.shared.dataTask(with: request) { data, response, error in
            let http = response as? HTTPURLResponse
            var fields: [String: String] = [:]
            for (name, value) in http?.allHeaderFields ?? [:] {
                fields[String(describing: name).lowercased()] = String(describing: value)
            }
            box.set(
                Result {
                    if let error { throw error }
                    return Reply(
                        status: http?.statusCode ?? -1, body: data.map { String(decoding: $0, as: UTF8.self) } ?? "",
                        headers: fields)
                })
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + timeout + 5) == .success else {
            throw PipelineError("\(method) \(path) got no answer within \(timeout) s")
        }
        return try box.get()
    }

    /// The dashboard at `gateway`'s `/` as headless Chromium leaves it after 5 s of virtual
    /// time (scripts run, charts drawn), as HTML; Chromium must exit 0.
    /// With `screenshot`, Chromium instead writes a PNG of the page (`size`: width,height)
    /// there and the returned text is empty.
    func renderedDashboard(
        _ gateway: Gateway, chromium: String, virtualTimeMs: Int = 5_000, screenshot: String? = nil,
        size: String = "1280,1900"
    ) throws -> String {
        let browser = Process()
        browser.executableURL = URL(fileURLWithPath: chromium)
        let mode =
            screenshot.map { ["--screenshot=\($0)", "--window-size=\(size)", "--hide-scrollbars"] } ?? ["--dump-dom"]
        browser.arguments =
            [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--user-data-dir=\(FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)").path)",
                "--virtual-time-budget=\(virtualTimeMs)",
            ] + mode + ["http://127.0.0.1:\(gateway.port!)/"]
        let output = Pipe()
        browser.standardOutput = output
        browser.standardError = FileHandle.nullDevice
        try browser.run()
        let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        browser.waitUntilExit()
        XCTAssertEqual(browser.terminationStatus, 0)
        return dom
    }

    /// Polls GET /v1/events/{id} until it answers 200 or the timeout passes.
    func waitForResult(_ gateway: Gateway, id: String, timeout: TimeInterval = 30) throws -> Reply {
        let deadline = Date().addingTimeInterval(timeout)
        var reply = try http(gateway, "GET", "/v1/events/\(id)")
        while reply.status != 200 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            reply = try http(gateway, "GET", "/v1/events/\(id)")
        }
        return reply
    }

    /// Every record of `topic` now (read_committed), read from the start until quiet.
    func readAll(_ topic: String, expecting count: Int, timeout: TimeInterval = 20) throws -> [KafkaRecord] {
        let consumer = try KafkaConsumer(
            config: KafkaConsumerConfig(common: config, groupID: "reader-\(UUID().uuidString)"))
        defer { consumer.close() }
        try consumer.subscribe(topics: [topic])
        var records: [KafkaRecord] = []
        let deadline = Date().addingTimeInterval(timeout)
        while records.count < count && Date() < deadline {
            records += try consumer.poll(maxRecords: 1_000, timeoutMs: 200)
        }
        // Anything beyond the expected count shows up within a short quiet period.
        records += try consumer.poll(maxRecords: 1_000, timeoutMs: 1_500)
        return records
    }
}

final class ReplyBox: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<GatewayTestCase.Reply, any Error>?
    func set(_ value: Result<GatewayTestCase.Reply, any Error>) {
        lock.lock()
        result = value
        lock.unlock()
    }
    func get() throws -> GatewayTestCase.Reply {
        lock.lock()
        defer { lock.unlock() }
        return try result!.get()
    }
}
