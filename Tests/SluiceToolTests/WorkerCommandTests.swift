import Foundation
import SluiceKafka
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
}
