import Foundation
import SluiceKafka
import SluiceTesting
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `sluice worker`'s /metrics (swift-metrics exported by swift-prometheus), scraped over loopback.
final class WorkerMetricsTests: ToolTestCase {
    /// A passthrough worker processes N events; its /metrics says N records in as many
    /// batches as the batch-size histogram counted, and the histogram's sum is N.
    func testWorkerServesItsCountersAndBatchHistogramAtMetrics() throws {
        let file = try relayFile(batchSize: 7)
        XCTAssertEqual(try sluice(["topics", "apply", file]).status, 0)
        let count = 200
        try produceEvents(range: 0..<count)

        let worker = try startWorker(file)
        defer { worker.stopIfRunning() }
        let url = try worker.metricsURL(timeout: 60)
        var text = ""
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            text = (try? scrape(url)) ?? ""
            if Self.sample(WorkerMetric.processed, in: text) == Double(count) { break }
            Thread.sleep(forTimeInterval: 0.3)
        }
        XCTAssertEqual(Self.sample(WorkerMetric.processed, in: text), Double(count), text)
        let batches = try XCTUnwrap(Self.sample(WorkerMetric.batches, in: text), text)
        XCTAssertGreaterThanOrEqual(batches, Double(count) / 7, "at most 7 records a batch")
        XCTAssertEqual(Self.sample("sluice_worker_batch_size_count", in: text), batches, text)
        XCTAssertEqual(Self.sample("sluice_worker_batch_size_sum", in: text), Double(count), text)
        XCTAssertEqual(Self.sample("sluice_worker_step_seconds_count", in: text), batches, text)
        XCTAssertEqual(Self.sample("sluice_worker_assigned_partitions", in: text), 1, text)
        XCTAssertEqual(Self.sample("sluice_worker_rejoins_total", in: text), 0, text)
        XCTAssertTrue(text.contains(#"workflow="metrics-relay""#) && text.contains(#"stage="relay""#), text)

        kill(worker.process.processIdentifier, SIGTERM)
        XCTAssertTrue(worker.waitForExit(timeout: 30), "the worker stops on SIGTERM")
        XCTAssertEqual(worker.process.terminationStatus, 0, worker.log)
    }
}

/// Running and scraping `sluice worker` children, for the worker command tests.
extension ToolTestCase {
    enum WorkerMetric {
        static let processed = "sluice_worker_records_processed_total"
        static let batches = "sluice_worker_batches_total"
    }

    /// A one-stage passthrough workflow `metrics-relay` over one partition: posts -> done.
    func relayFile(batchSize: Int, waitMs: Int = 20) throws -> String {
        try write(
            "relay-\(batchSize).yaml",
            """
            workflow: metrics-relay
            topics: { posts: {partitions: 1}, done: {partitions: 1}, dlq: {partitions: 1} }
            input: posts
            output: done
            dead_letter: dlq
            stages:
              - { name: relay, task: passthrough, input: posts, output: done, batch: { size: \(batchSize), wait_ms: \(waitMs) } }
            """)
    }

    /// Events `e-<i>` on `posts`, acknowledged.
    func produceEvents(range: Range<Int>) throws {
        let producer = try KafkaProducer(
            config: KafkaProducerConfig(
                common: KafkaConfig(bootstrapServers: broker.bootstrapServers, clientID: "tool-test")))
        defer { producer.close() }
        let messages = range.map { index in
            KafkaProducerMessage(
                topic: "posts", key: Array("e-\(index)".utf8),
                value: Array(#"{"id": "e-\#(index)", "text": "post \#(index)"}"#.utf8))
        }
        let reports = try producer.sendBatch(messages)
        XCTAssertTrue(reports.allSatisfy(\.isDelivered), "every input is acknowledged")
    }

    /// The ids of the events on `done`, read from the start until `count` arrived or `timeout`, then `settle` s more.
    func readDoneIDs(count: Int, timeout: TimeInterval, settle: TimeInterval = 2) throws -> [String] {
        let consumer = try KafkaConsumer(
            config: KafkaConsumerConfig(
                common: KafkaConfig(bootstrapServers: broker.bootstrapServers, clientID: "tool-test"),
                groupID: "reader-\(UUID().uuidString)"))
        defer { consumer.close() }
        try consumer.subscribe(topics: ["done"])
        var ids: [String] = []
        var deadline = Date().addingTimeInterval(timeout)
        var settling = false
        while Date() < deadline {
            for record in try consumer.poll(maxRecords: 1_000, timeoutMs: 200) {
                let object = try JSONSerialization.jsonObject(with: Data(record.value)) as? [String: Any]
                ids.append(object?["id"] as? String ?? "?")
            }
            if ids.count >= count && !settling {
                settling = true
                deadline = Date().addingTimeInterval(settle)
            }
        }
        return ids
    }

    func startWorker(_ file: String, extra: [String] = []) throws -> WorkerChild {
        try WorkerChild(
            binary: Self.binary, directory: directory, root: PackagePaths.root,
            arguments: [
                "worker", "--workflow", file, "--stage", "relay", "--brokers", broker.bootstrapServers,
                "--no-registry", "--no-control",
            ] + extra)
    }

    /// GET `url`, the body as text; throws on a transport error or a status other than 200.
    func scrape(_ url: URL) throws -> String {
        let done = DispatchSemaphore(value: 0)
        let result = ScrapeBox()
        URLSession.shared.dataTask(with: url) { data, response, error in
            let status = (response as? HTTPURLResponse)?.statusCode ?? -1
            result.set(status == 200 ? data.map { String(decoding: $0, as: UTF8.self) } : nil, error: error)
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + 10) == .success, let body = result.body else {
            throw ScrapeError(description: "GET \(url) failed: \(result.error.map { "\($0)" } ?? "no 200 within 10 s")")
        }
        return body
    }

    /// The value of the first sample of `name` (any labels) in a Prometheus exposition.
    static func sample(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2 else { continue }
            let series = fields[0]
            if series == name || series.hasPrefix(name + "{") { return Double(fields[1]) }
        }
        return nil
    }
}

struct ScrapeError: Error, CustomStringConvertible {
    let description: String
}

final class ScrapeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (String?, (any Error)?) = (nil, nil)
    func set(_ body: String?, error: (any Error)?) { lock.withLock { stored = (body, error) } }
    var body: String? { lock.withLock { stored.0 } }
    var error: (any Error)? { lock.withLock { stored.1 } }
}

/// A `sluice worker` child process whose output goes to a log file.
final class WorkerChild {
    let process = Process()
    let logURL: URL

    init(binary: URL, directory: URL, root: URL, arguments: [String]) throws {
        logURL = directory.appendingPathComponent("worker-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let handle = try FileHandle(forWritingTo: logURL)
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = root
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// The address the worker logged: "serving Prometheus metrics at http://127.0.0.1:PORT/metrics".
    func metricsURL(timeout: TimeInterval) throws -> URL {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline && process.isRunning {
            if let range = log.range(of: #"http://127\.0\.0\.1:\d+/metrics"#, options: .regularExpression) {
                return URL(string: String(log[range]))!
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw ScrapeError(description: "the worker named no metrics address within \(timeout) s: \(log)")
    }

    /// Waits for the process to exit; false when it still runs after `timeout`.
    func waitForExit(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { return false }
        process.waitUntilExit()
        return true
    }

    func stopIfRunning() {
        guard process.isRunning else { return }
        process.interrupt()
        if !waitForExit(timeout: 20) {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
