import Foundation
import XCTest

/// The worker checks the workflow against its catalog before it connects anywhere.
final class UnknownTaskTests: XCTestCase {
    func testAWorkflowWithAnUnregisteredTaskStopsTheWorkerNamingTheTasksItHas() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("unknown-\(UUID().uuidString).yaml")
            .path
        try """
        workflow: w
        topics: { a: {partitions: 1}, b: {partitions: 1}, dlq: {partitions: 1} }
        input: a
        output: b
        dead_letter: dlq
        stages:
          - { name: s, task: translate, input: a, output: b }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // No broker listens on port 1: the worker must fail on the file, before any connection.
        let worker = try WorkerProcess(arguments: ["--workflow", path, "--stage", "s", "--brokers", "127.0.0.1:1"])
        let status = worker.exitStatus(timeout: 30)
        defer { worker.kill9() }
        XCTAssertNotNil(status, "the worker must stop by itself")
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(
            worker.output.contains(
                "unknown task 'translate'; expected one of: embed, classify, sentiment, passthrough, keywords"),
            worker.output)
    }
}
