import Foundation
import SluiceBroker
import SluiceTesting
import XCTest
import Yams

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// The metrics compose/kubernetes/'s Prometheus triggers query exist, with the labels they
/// match on, in a live `sluice worker`'s and `sluice monitor`'s /metrics against an
/// embedded broker.
final class KubernetesLiveMetricsTests: XCTestCase {
    private var children: [Process] = []
    private var broker: EmbeddedBroker?
    private var scratch: URL?

    override func tearDown() {
        for child in children where child.isRunning {
            child.terminate()  // SIGTERM: the worker commits and leaves its group
            let deadline = Date().addingTimeInterval(20)
            while child.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if child.isRunning { kill(child.processIdentifier, SIGKILL) }
            child.waitUntilExit()
        }
        children = []
        broker?.stop()
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    /// A passthrough worker (the model stages take long to load and need nothing more
    /// to export the same gauges) and the monitor, on a one-stage workflow: every
    /// metric a Prometheus trigger queries is on both /metrics, with the labels the
    /// query matches on.
    func testQueriedMetricsAreServedByAWorkerAndTheMonitor() throws {
        try KubernetesFileTests.requireBinary()
        let queried = try KubernetesFileTests.documents().compactMap { document -> String? in
            guard document.kind == "ScaledObject",
                let trigger = (KubernetesFileTests.dig(document.object, "spec", "triggers") as? [[String: Any]])?.first,
                trigger["type"] as? String == "prometheus"
            else { return nil }
            return KubernetesFileTests.dig(trigger, "metadata", "query") as? String
        }.flatMap(KubernetesFileTests.selectors(in:))
        XCTAssertFalse(queried.isEmpty)

        broker = try TestBroker.start()
        let bootstrap = try XCTUnwrap(broker?.bootstrapServers)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sluice-k8s-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        scratch = folder
        let workflowURL = folder.appendingPathComponent("relay.yaml")
        try """
        workflow: k8s-relay
        topics: { posts: {partitions: 2}, done: {partitions: 1}, dlq: {partitions: 1} }
        input: posts
        output: done
        dead_letter: dlq
        stages:
          - { name: relay, task: passthrough, input: posts, output: done, batch: { size: 5, wait_ms: 20 } }
        """.write(to: workflowURL, atomically: true, encoding: .utf8)
        let labels = ["workflow": "k8s-relay", "stage": "relay"]
        // What the triggers query, and both advice gauges even where no trigger queries one yet.
        let required = queried + KubernetesFileTests.advisedMetrics.sorted().map { (metric: $0, labels: labels) }
        let applied = try KubernetesFileTests.run(["topics", "apply", workflowURL.path, "--brokers", bootstrap])
        XCTAssertEqual(applied.status, 0, applied.output)

        // --no-registry / --no-control as the tool tests run workers: no other topics needed.
        let workerPort = try EmbeddedBroker.freePort()
        try start(
            "worker",
            [
                "worker", "--workflow", workflowURL.path, "--stage", "relay", "--brokers", bootstrap, "--no-registry",
                "--no-control", "--metrics-host", "127.0.0.1", "--metrics-port", String(workerPort),
            ], in: folder)
        let monitorPort = try EmbeddedBroker.freePort()
        try start(
            "monitor",
            [
                "monitor", "--workflow", workflowURL.path, "--brokers", bootstrap, "--no-registry", "--json",
                "--from-beginning", "--probe-every", "1", "--metrics-host", "127.0.0.1", "--metrics-port",
                String(monitorPort),
            ], in: folder)
        let endpoints = [
            "worker": URL(string: "http://127.0.0.1:\(workerPort)/metrics")!,
            "monitor": URL(string: "http://127.0.0.1:\(monitorPort)/metrics")!,
        ]

        // Events keep arriving while we poll: the advice needs an arrival rate and a
        // processed event's time within the monitor's window.
        let events = folder.appendingPathComponent("events.jsonl")
        var texts: [String: String] = [:]
        func served(_ text: String) -> Bool {
            let samples = KubernetesFileTests.samples(in: text)
            return required.allSatisfy { selector in
                samples.contains { sample in
                    sample.metric == selector.metric
                        && labels.allSatisfy { sample.labels[$0.key] == $0.value }
                        && Set(sample.labels.keys).isSuperset(of: selector.labels.keys)
                }
            }
        }
        let deadline = Date().addingTimeInterval(60)
        var batch = 0
        while Date() < deadline {
            try (0..<10).map { #"{"id": "k-\#(batch)-\#($0)", "text": "post \#($0)"}"# }.joined(separator: "\n")
                .write(to: events, atomically: true, encoding: .utf8)
            batch += 1
            let produced = try KubernetesFileTests.run([
                "produce", "--topic", "posts", events.path, "--brokers", bootstrap,
            ])
            XCTAssertEqual(produced.status, 0, produced.output)
            Thread.sleep(forTimeInterval: 1)
            for (name, url) in endpoints { texts[name] = (try? KubernetesFileTests.scrape(url)) ?? "" }
            if texts.values.allSatisfy(served) { break }
            XCTAssertTrue(children.allSatisfy(\.isRunning), "a child stopped: \(childLogs(in: folder))")
            if !children.allSatisfy(\.isRunning) { return }
        }
        for (name, text) in texts.sorted(by: { $0.key < $1.key }) {
            XCTAssertTrue(
                served(text),
                "\(name) /metrics lacks one of \(required.map { $0.metric }) with labels \(labels):\n\(text)\n"
                    + childLogs(in: folder)
            )
        }
    }

    /// Starts `sluice` tied to this process (it dies with the test runner), its output to <name>.log.
    private func start(_ name: String, _ arguments: [String], in folder: URL) throws {
        let logURL = folder.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let process = Process()
        process.currentDirectoryURL = PackagePaths.root
        let handle = try FileHandle(forWritingTo: logURL)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try ParentTiedSpawner.shared.run(
            process, executable: KubernetesFileTests.binary, arguments: arguments, deathSignal: "TERM")
        children.append(process)
    }

    /// The tail of every child's log, for a failure message.
    private func childLogs(in folder: URL) -> String {
        ["worker", "monitor"].map { name in
            let text = (try? String(contentsOf: folder.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? ""
            return "--- \(name).log\n" + text.split(separator: "\n").suffix(20).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
