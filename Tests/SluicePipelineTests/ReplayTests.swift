import Foundation
import SluiceEvents
import SluiceKafka
import SluiceTesting
import XCTest

final class ReplayTests: PipelineTestCase {
    /// Long texts are dead-lettered under a strict limit; once the limit is raised
    /// (the cause fixed) `sluice dlq replay` sends them back and they come out.
    func testFixedDeadLettersReplayedComeOutOfTheWorkflow() throws {
        func yaml(limit: Int) -> String {
            """
            workflow: replayed
            topics: { posts: {partitions: 2}, features: {partitions: 2}, dead-letters: {partitions: 1} }
            input: posts
            output: features
            dead_letter: dead-letters
            stages:
              - { name: features, task: embed, input: posts, output: features, batch: { size: 16, wait_ms: 20 } }
            limits: { max_text_bytes: \(limit) }
            """
        }
        let strict = try workflowFile(yaml(limit: 300))
        let fixed = try workflowFile(yaml(limit: 5_000))
        try applyTopics(strict.workflow)
        let worker = try startWorker(strict.workflow, stage: "features")
        let texts = try tweets(30)
        var messages = texts.enumerated().map { event(id: "ok-\($0.offset)", text: $0.element) }
        for index in 0..<10 {
            messages.append(event(id: "long-\(index)", text: String(repeating: "a long post \(index) ", count: 40)))
        }
        try produce(messages)
        let dead = try readTopic("dead-letters", timeout: 60) { $0.count >= 10 }
        XCTAssertEqual(dead.count, 10)
        XCTAssertTrue(
            dead.allSatisfy {
                $0.headers.contains { $0.key == "sluice_dlq_reason" && $0.value == Array("text-too-long".utf8) }
            })
        worker.stop()

        try startWorker(fixed.workflow, stage: "features")
        let binary = PackagePaths.root.appendingPathComponent(".build/release/sluice")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("\(binary.path) is not built; run `make test`, which builds it before the tests")
        }
        let replay = Process()
        replay.executableURL = binary
        replay.arguments = ["dlq", "replay", "--workflow", fixed.path, "--brokers", broker.bootstrapServers]
        let output = Pipe()
        replay.standardOutput = output
        replay.standardError = output
        try replay.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        replay.waitUntilExit()
        XCTAssertEqual(replay.terminationStatus, 0, printed)

        let out = try readTopic("features", timeout: 90) { try! distinctIDs($0).ids.count >= 40 }
        let ids = try distinctIDs(out).ids
        XCTAssertEqual(ids, Set((0..<30).map { "ok-\($0)" } + (0..<10).map { "long-\($0)" }), printed)
        let replayed = out.filter { $0.headers.contains { $0.key == "sluice_attempts" } }
        XCTAssertEqual(replayed.count, 10, "replayed records carry their attempt count through the stage")
    }
}
