import Foundation
import SluiceTesting
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// `sluice up --autoscale` under real load: a passthrough stage that costs 20 ms per
/// event (`cost_ms`), fed at 90 events/s (advice: ceil(90 x 0.020 / 0.7) = 3 replicas)
/// and then at 15 events/s (advice 1). The stage must reach 3 workers within a bounded
/// time, come back to 1, and every event fed must come out: each scaling step is a
/// rebalance of the stage's group under load, and the stopped workers leave by the clean
/// stop (finish and commit the batch in hand).
final class AutoscaleTests: FaultTestCase {
    static let costMs = 20.0
    static let highRate = 90.0
    static let lowRate = 15.0
    static let cooldown = 10

    func testStageScalesToThreeWorkersAndBackToOneLosingNothing() throws {
        let broker = try startBroker()
        let workflow = try autoscaledWorkflow()
        let up = try UpProcess(workflow: workflow, brokers: broker.bootstrapServers)
        defer { up.kill() }
        try waitUntil("sluice up started its worker", timeout: 60) { up.log.contains("started 1 workers") }
        let watch = try watch("out", on: broker)

        // High load: 90 events/s for up to 50 s; the stage must reach 3 workers meanwhile.
        let high = try startFeed(broker: broker, prefix: "high", count: Int(Self.highRate * 50), rate: Self.highRate)
        let highStart = Date()
        do {
            try waitUntil("3 workers", timeout: 50) { up.workers >= 3 }
        } catch {
            XCTFail("never reached 3 workers; sluice up said:\n\(up.tail())")
            throw error
        }
        let scaleUp = Date().timeIntervalSince(highStart)
        XCTAssertTrue(high.waitUntilAcknowledged(timeout: 60), "the high feed was acknowledged")

        // Low load: 15 events/s; past the cooldown the stage must come back to 1 worker.
        let low = try startFeed(broker: broker, prefix: "low", count: Int(Self.lowRate * 60), rate: Self.lowRate)
        let lowStart = Date()
        do {
            try waitUntil("1 worker", timeout: 60) { up.workers == 1 }
        } catch {
            XCTFail("never came back to 1 worker; sluice up said:\n\(up.tail())")
            throw error
        }
        let scaleDown = Date().timeIntervalSince(lowStart)
        XCTAssertTrue(low.waitUntilAcknowledged(timeout: 90), "the low feed was acknowledged")
        XCTAssertEqual(high.failed + low.failed, [], "every input was acknowledged (else the accounting is void)")

        // Exact accounting over both phases, read afresh from the output topic.
        let ids = high.ids + low.ids
        let deadline = Date().addingTimeInterval(60)
        while watch.distinctCount < ids.count && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let ledger = try FaultLedger.read(
            bootstrapServers: broker.bootstrapServers, topic: "out", partitions: Self.partitions, expecting: ids)
        let decisions = up.lines(containing: "autoscale: stage")
        let peak = up.peak
        print(
            "AUTOSCALE: in \(ledger.inputs), out \(ledger.distinctOut), lost \(ledger.lost.count), "
                + "duplicates \(ledger.duplicates), "
                + String(
                    format: "up to 3 workers %.1f s after the high feed began, back to 1 %.1f s after the low one, "
                        + "peak %d, run %.1f s", scaleUp, scaleDown, peak, elapsed))
        decisions.forEach { print("  \($0)") }
        XCTAssertEqual(ledger.lost.count, 0, "lost ids (first 10): \(ledger.lost.prefix(10))\n\(up.tail())")
        XCTAssertEqual(ledger.unknown, [], "every output id is an input id")
        XCTAssertLessThanOrEqual(peak, Self.partitions, "never above the input's partition count")

        // Each worker stopped on the way down left cleanly: finished its batch, exit status 0.
        let stopped = up.lines(containing: "stopped after scaling down")
        XCTAssertGreaterThanOrEqual(stopped.count, 2, "two workers stopped\n\(up.tail())")
        for line in stopped { XCTAssertTrue(line.contains("(exit status 0)"), line) }

        // The dashboard's data carries the same decisions, each with its reason.
        let dashboard = try XCTUnwrap(
            try? JSONSerialization.jsonObject(with: Data(contentsOf: up.dashboardURL)) as? [String: Any],
            "GET /v1/dashboard answered JSON")
        let scaling = try XCTUnwrap(
            dashboard["scaling"] as? [[String: Any]], "dashboard has scaling: \(dashboard.keys)")
        XCTAssertEqual(scaling.compactMap { $0["to"] as? Int }, up.counts, "the dashboard shows every decision")
        for decision in scaling {
            XCTAssertEqual(decision["stage"] as? String, "relay")
            XCTAssertTrue((decision["reason"] as? String ?? "").contains("advice"), "\(decision)")
        }

        // And `sluice up` itself stops cleanly on SIGINT.
        XCTAssertEqual(up.interrupt(timeout: 60), 0, "sluice up exits 0 on Ctrl-C\n\(up.tail())")
    }

    /// One passthrough stage of known cost, the monitor on a 6 s window so the advice
    /// follows a change of rate within seconds, and a 10 s cooldown.
    private func autoscaledWorkflow() throws -> String {
        let text = """
            workflow: autoscale
            topics:
              in: { partitions: \(Self.partitions) }
              out: { partitions: \(Self.partitions) }
              dead-letters: { partitions: 1 }
            input: in
            output: out
            dead_letter: dead-letters
            stages:
              - name: relay
                task: passthrough
                input: in
                output: out
                cost_ms: \(Self.costMs)
                batch: { size: 16, wait_ms: 20 }
                autoscale: { min: 1, max: \(Self.partitions), cooldown_s: \(Self.cooldown) }
            monitor:
              windows_s: [6, 30]

            """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("autoscale-\(UUID().uuidString).yaml")
            .path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// `sluice up --autoscale` as a child process with no feed of its own (the test feeds),
/// its gateway on a free loopback port and no metrics ports; its output in a log file.
final class UpProcess: @unchecked Sendable {
    let process = Process()
    let logFile: URL
    /// Its gateway's `/v1/dashboard` (the gateway listens on loopback only).
    let dashboardURL: URL

    init(workflow: String, brokers: String) throws {
        let binary = try WorkerProcess.sluiceBinary()
        let gatewayPort = try FaultBroker.freeLoopbackPort()
        dashboardURL = URL(string: "http://127.0.0.1:\(gatewayPort)/v1/dashboard")!
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "up", "--workflow", workflow, "--brokers", brokers, "--autoscale", "--rate", "0",
            "--gateway-port", String(gatewayPort),
            "--metrics-port", "0", "--worker-metrics-port", "0", "--duration", "600",
            // The stage's step sleeps, so its workers need no idle core: the test is of the
            // scaling and the accounting, whatever else loads the machine (IdleCores has its own test).
            "--cores-per-worker", "0",
            "-X", "session.timeout.ms=\(FaultTestCase.sessionTimeoutMs)",
        ]
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("autoscale-up-\(UUID().uuidString).log")
        try WorkerProcess.run(process, loggingTo: logFile)
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
    func lines(containing text: String) -> [String] {
        log.split(separator: "\n").map(String.init).filter { $0.contains(text) }
    }

    /// The worker counts the autoscaler moved to, in order ("... : 1 -> 3 workers (...)").
    var counts: [Int] {
        lines(containing: "autoscale: stage").compactMap { line in
            line.range(of: " -> ").flatMap { Int(line[$0.upperBound...].prefix { $0.isNumber }) }
        }
    }
    var workers: Int { counts.last ?? 1 }
    var peak: Int { counts.max() ?? 1 }

    func tail(_ count: Int = 40) -> String { log.split(separator: "\n").suffix(count).joined(separator: "\n") }

    /// SIGINT (Ctrl-C) and the exit status, or nil if it had not exited after `timeout`.
    func interrupt(timeout: TimeInterval) -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        Glibc.kill(process.processIdentifier, SIGINT)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
