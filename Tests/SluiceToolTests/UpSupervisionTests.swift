import Foundation
import SluiceKafka
import SluiceTesting
import XCTest

/// `sluice up` restarts a worker that dies, the stream goes on, and a clean stop restarts nothing.
final class UpSupervisionTests: ToolTestCase {
    func testUpRestartsAKilledWorkerAndTheStreamGoesOn() throws {
        let workflow = try write(
            "relay.yaml",
            """
            workflow: relay
            topics: { posts: {partitions: 2}, middle: {partitions: 2}, done: {partitions: 2}, dead-letters: {partitions: 1} }
            input: posts
            output: done
            dead_letter: dead-letters
            stages:
              - { name: first, task: passthrough, input: posts, output: middle, batch: { size: 8, wait_ms: 20 } }
              - { name: second, task: passthrough, input: middle, output: done, batch: { size: 8, wait_ms: 20 } }
            """)
        let output = directory.appendingPathComponent("up.out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let up = Process()
        up.executableURL = Self.binary
        up.arguments = [
            "up", "--workflow", workflow, "--rate", "20", "--no-monitor", "--gateway-port", "0", "--metrics-port", "0",
            "--worker-metrics-port", "0",
            "--duration", "150",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["SLUICE_BROKERS"] = broker.bootstrapServers
        up.environment = environment
        up.currentDirectoryURL = PackagePaths.root
        up.standardOutput = try FileHandle(forWritingTo: output)
        up.standardError = up.standardOutput
        try up.run()
        defer { if up.isRunning { kill(up.processIdentifier, SIGKILL) } }
        func said() -> String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

        // Read the output topic from the start; ids are "demo-N", N counting up at the feed.
        let consumer = try KafkaConsumer(
            config: KafkaConsumerConfig(
                common: KafkaConfig(bootstrapServers: broker.bootstrapServers), groupID: "test-reader",
                autoOffsetReset: .earliest))
        defer { consumer.close() }
        try consumer.subscribe(topics: ["done"])
        var highest = -1
        func read(until done: () -> Bool, timeout: TimeInterval) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while !done() && Date() < deadline {
                for record in (try? consumer.poll(maxRecords: 500, timeoutMs: 200)) ?? [] {
                    let key = String(decoding: record.key ?? [], as: UTF8.self)
                    if let number = Int(key.replacingOccurrences(of: "demo-", with: "")) {
                        highest = max(highest, number)
                    }
                }
            }
            return done()
        }

        let pid = up.processIdentifier
        XCTAssertTrue(
            ProcTable.wait(60) {
                ProcTable.workers(of: pid, stage: "first").count == 1
                    && ProcTable.workers(of: pid, stage: "second").count == 1
            },
            "one worker per stage expected; output:\n\(said())")
        XCTAssertTrue(read(until: { highest >= 20 }, timeout: 60), "no events reached 'done'; output:\n\(said())")

        let victim = try XCTUnwrap(ProcTable.workers(of: pid, stage: "first").first)
        kill(victim, SIGKILL)
        let killedAt = highest
        XCTAssertTrue(
            ProcTable.wait(20) { ProcTable.workers(of: pid, stage: "first").contains { $0 != victim } },
            "no new 'first' worker within 20 s of the SIGKILL; output:\n\(said())")
        XCTAssertTrue(said().contains("worker first-0 exited (killed by signal 9 (SIGKILL))"), said())
        XCTAssertTrue(said().contains("worker first-0 restarted"), said())
        XCTAssertEqual(ProcTable.workers(of: pid, stage: "second").count, 1, "the other stage kept its worker")
        // 20 events/s: 100 more ids is about 5 s of feed that went through the restarted worker.
        XCTAssertTrue(
            read(until: { highest >= killedAt + 100 }, timeout: 60),
            "the stream stopped after the restart: highest id \(highest), \(killedAt) at the kill; output:\n\(said())")

        // A second quick death backs off longer: 2 s, not 1.
        let second = try XCTUnwrap(ProcTable.workers(of: pid, stage: "first").first)
        kill(second, SIGKILL)
        XCTAssertTrue(
            ProcTable.wait(20) { ProcTable.workers(of: pid, stage: "first").contains { $0 != second && $0 != victim } },
            "no third 'first' worker within 20 s; output:\n\(said())")
        XCTAssertTrue(said().contains("restarting in 2 s (restart 2)"), said())

        let workers = ProcTable.workers(of: pid, stage: "first") + ProcTable.workers(of: pid, stage: "second")
        kill(pid, SIGTERM)
        XCTAssertTrue(ProcTable.wait(45) { !up.isRunning }, "sluice up did not stop within 45 s of SIGTERM")
        up.waitUntilExit()
        XCTAssertEqual(up.terminationStatus, 0, said())
        for worker in workers { XCTAssertFalse(ProcTable.isRunning(worker), "worker \(worker) outlived sluice up") }
        let afterStop = said().components(separatedBy: "stopping:").dropFirst().joined()
        XCTAssertFalse(afterStop.isEmpty, "no 'stopping:' line; output:\n\(said())")
        XCTAssertFalse(afterStop.contains("restarted"), "a worker was restarted during the stop:\n\(afterStop)")
    }
}
