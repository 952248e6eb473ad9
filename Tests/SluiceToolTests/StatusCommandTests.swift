import Foundation
import SluiceKafka
import XCTest

/// `sluice status`: live and stale registry members, replicas needed from the monitor.
final class StatusCommandTests: ToolTestCase {
    func testStatusShowsLiveAndStaleMembersWithReplicasNeeded() throws {
        let file = try write(
            "reg.yaml",
            """
            workflow: reg
            topics: { posts: {partitions: 2}, done: {partitions: 1}, dlq: {partitions: 1}, metrics: {partitions: 1} }
            input: posts
            output: done
            dead_letter: dlq
            stages:
              - { name: relay, task: passthrough, input: posts, output: done }
            monitor: { metrics_topic: metrics }
            """)
        XCTAssertEqual(try sluice(["topics", "apply", file]).status, 0)
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        func member(_ instance: String, heartbeatAgo seconds: Int64) -> KafkaProducerMessage {
            let value = """
                {"format":"sluice-registry/1","kind":"worker","member":"reg/relay/\(instance)","workflow":"reg",\
                "stage":"relay","model":null,"head_version":null,"host":"h","pid":7,"partitions":["posts[0]"],\
                "started_at":\(now - 60_000_000),"last_heartbeat":\(now - seconds * 1_000_000),"health":"ok",\
                "rejoins":0,"rss_bytes":1048576,"events_processed":5}
                """
            return KafkaProducerMessage(
                topic: "sluice-registry", key: "reg/relay/\(instance)", value: Array(value.utf8))
        }
        let metrics = #"{"at":\#(now),"window":"10s","window_s":10,"stages":[{"stage":"relay","replicas_needed":3}]}"#
        let producer = try KafkaProducer(
            config: KafkaProducerConfig(common: KafkaConfig(bootstrapServers: broker.bootstrapServers)))
        defer { producer.close() }
        let reports = try producer.sendBatch([
            member("h:1", heartbeatAgo: 1), member("h:2", heartbeatAgo: 60), member("h:3", heartbeatAgo: 1),
            KafkaProducerMessage(topic: "sluice-registry", key: "reg/relay/h:3", value: []),
            KafkaProducerMessage(topic: "metrics", key: "10s", value: Array(metrics.utf8)),
        ])
        XCTAssertTrue(reports.allSatisfy(\.isDelivered), "\(reports)")

        let json = try sluice(["status", "--workflow", file, "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let document = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], json.stdout)
        let stages = try XCTUnwrap(document["stages"] as? [[String: Any]])
        XCTAssertEqual(stages.count, 1)
        XCTAssertEqual(stages[0]["stage"] as? String, "relay")
        XCTAssertEqual(stages[0]["replicas"] as? Int, 1, "one live member; h:2 is stale, h:3 left with a tombstone")
        XCTAssertEqual(stages[0]["replicas_needed"] as? Int, 3)
        XCTAssertEqual(stages[0]["lag"] as? Int, 0)
        let members = try XCTUnwrap(stages[0]["members"] as? [[String: Any]])
        XCTAssertEqual(members.compactMap { $0["member"] as? String }, ["reg/relay/h:1", "reg/relay/h:2"])
        XCTAssertEqual(members.compactMap { $0["stale"] as? Bool }, [false, true])

        let text = try sluice(["status", "--workflow", file, "--stale-after", "90"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(
            text.stdout.contains("reg/relay: 2 live replicas, 1 in the workflow file, needed 3, lag 0"), text.stdout)
        XCTAssertFalse(text.stdout.contains("STALE"), "60 s is within --stale-after 90: \(text.stdout)")
    }
}
