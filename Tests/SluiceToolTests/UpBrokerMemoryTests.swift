import Foundation
import SluiceTesting
import XCTest

/// On the embedded broker (which keeps every record), `sluice up` says so at start and stops
/// the feed once the broker passes --broker-memory-limit.
final class UpBrokerMemoryTests: ToolTestCase {
    func testUpStopsTheFeedWhenTheEmbeddedBrokerPassesItsMemoryLimit() throws {
        let workflow = try write(
            "relay.yaml",
            """
            workflow: relay
            topics: { posts: {partitions: 1}, done: {partitions: 1}, dead-letters: {partitions: 1} }
            input: posts
            output: done
            dead_letter: dead-letters
            stages:
              - { name: only, task: passthrough, input: posts, output: done }
            """)
        let output = directory.appendingPathComponent("up.out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let up = Process()
        up.executableURL = Self.binary
        // A fresh Tansu already holds about 15 MB: a 1 MB limit trips at the first check.
        up.arguments = [
            "up", "--workflow", workflow, "--rate", "50", "--no-monitor", "--gateway-port", "0", "--metrics-port", "0",
            "--worker-metrics-port", "0",
            "--duration", "20", "--broker-memory-limit", "1",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["SLUICE_BROKERS"] = nil  // the embedded broker, not the test's
        up.environment = environment
        up.currentDirectoryURL = PackagePaths.root
        up.standardOutput = try FileHandle(forWritingTo: output)
        up.standardError = up.standardOutput
        try up.run()
        defer { if up.isRunning { kill(up.processIdentifier, SIGKILL) } }
        XCTAssertTrue(ProcTable.wait(60) { !up.isRunning }, "sluice up --duration 20 still runs after 60 s")
        let said = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        XCTAssertEqual(up.terminationStatus, 0, said)
        XCTAssertTrue(said.contains("embedded broker: Tansu keeps every record in memory and ignores retention"), said)
        XCTAssertTrue(said.contains("over --broker-memory-limit 1: feed stopped"), said)
        // The status lines ("[  10s] in N ...") stop counting up once the feed is stopped.
        let fed = said.split(separator: "\n").filter { $0.hasPrefix("[") }.compactMap { line -> Int? in
            guard let range = line.range(of: #"in \d+"#, options: .regularExpression) else { return nil }
            return Int(line[range].dropFirst(3))
        }
        XCTAssertGreaterThanOrEqual(fed.count, 2, said)
        XCTAssertEqual(Set(fed.suffix(2)).count, 1, "the feed went on after the limit: \(fed)")
        XCTAssertLessThan(fed.last ?? .max, 50 * 5, "a 1 MB limit must stop the feed within seconds: \(fed)")
    }
}
