import Foundation
import SluiceKafka
import SluiceTesting
import XCTest

final class WorkerCommandTests: ToolTestCase {
    /// A worker whose dead-letter topic is missing used to retry deliveries for
    /// 30 s and rejoin, forever (compose turns topic auto-creation off). It now
    /// stops at start, naming the topic and the command that creates it.
    func testWorkerStopsAtStartNamingAMissingTopicAndTheFix() throws {
        let file = try write(
            "relay.yaml",
            """
            workflow: relay
            topics: { posts: {partitions: 1}, done: {partitions: 1}, dlq: {partitions: 1} }
            input: posts
            output: done
            dead_letter: dlq
            stages:
              - { name: relay, task: passthrough, input: posts, output: done }
            """)
        let admin = try KafkaAdmin(
            config: KafkaConfig(bootstrapServers: broker.bootstrapServers, clientID: "tool-test"))
        try admin.ensureTopic(KafkaNewTopic(name: "posts", partitions: 1))
        try admin.ensureTopic(KafkaNewTopic(name: "done", partitions: 1))

        let result = try sluice(["worker", "--workflow", file, "--stage", "relay", "--no-registry"], timeout: 60)
        XCTAssertNotEqual(result.status, 0, "a worker without its dead-letter topic must not start")
        XCTAssertTrue(result.stderr.contains("'dlq' (dead-letter)"), result.stderr)
        XCTAssertFalse(result.stderr.contains("'done'"), "only the missing topic is named: \(result.stderr)")
        XCTAssertTrue(result.stderr.contains("sluice topics apply"), result.stderr)
    }

    /// --precision names what it accepts, and only applies to embed stages.
    func testWorkerPrecisionErrorsSayWhatToDo() throws {
        let workflow = PackagePaths.root.appendingPathComponent("topics/sentiment-monitoring.yaml").path
        let unknown = try sluice(["worker", "--workflow", workflow, "--stage", "features", "--precision", "int4"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("use one of fp32, bf16, int8, auto"), unknown.stderr)
        let notEmbed = try sluice(["worker", "--workflow", workflow, "--stage", "sentiment", "--precision", "int8"])
        XCTAssertNotEqual(notEmbed.status, 0)
        XCTAssertTrue(notEmbed.stderr.contains("--precision applies to embed stages"), notEmbed.stderr)
    }

    /// `sluice embed --precision int8` writes the int8 engine's embeddings and says which kernel ran.
    func testEmbedInInt8SaysWhichKernelRan() throws {
        let result = try sluice(["embed", "--precision", "int8"], stdin: "delayed at ORD again\nnew phone\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("precision int8 (int8 "), result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 2)
    }
}
