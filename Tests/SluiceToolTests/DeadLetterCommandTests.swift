import Foundation
import SluiceKafka
import XCTest

/// `sluice dlq list` and `dlq replay`: counts by reason and stage, replay with attempts, the replay limit.
final class DeadLetterCommandTests: ToolTestCase {
    func testDeadLetterListAndReplay() throws {
        let workflow = try write(
            "flow.yaml",
            """
            workflow: tool-test
            topics:
              posts: { partitions: 2 }
              features: { partitions: 2 }
              dead-letters: { partitions: 1 }
            input: posts
            output: features
            dead_letter: dead-letters
            stages:
              - name: features
                task: embed
                input: posts
                output: features
            limits:
              max_replay_attempts: 2
            """)
        let applied = try sluice(["topics", "apply", workflow])
        XCTAssertEqual(applied.status, 0, applied.stderr)

        // Five dead letters: three fresh, one replayed once already, one at the limit.
        let producer = try KafkaProducer(
            config: KafkaProducerConfig(common: KafkaConfig(bootstrapServers: broker.bootstrapServers)))
        defer { producer.close() }
        let now = Int64(Date().timeIntervalSince1970 * 1e6)
        func deadLetter(_ index: Int, reason: String, attempts: Int?) -> KafkaProducerMessage {
            var headers = [
                KafkaHeader(key: "trace", value: "t\(index)"),
                KafkaHeader(key: "sluice_dlq_reason", value: reason),
                KafkaHeader(key: "sluice_dlq_detail", value: "broken"),
                KafkaHeader(key: "sluice_dlq_stage", value: "features"),
                KafkaHeader(key: "sluice_dlq_topic", value: "posts"),
                KafkaHeader(key: "sluice_dlq_partition", value: "0"),
                KafkaHeader(key: "sluice_dlq_offset", value: String(index)),
                KafkaHeader(key: "sluice_dlq_at", value: String(now - Int64(index) * 1_000_000)),
            ]
            if let attempts { headers.append(KafkaHeader(key: "sluice_attempts", value: String(attempts))) }
            return KafkaProducerMessage(
                topic: "dead-letters", key: "k\(index)", value: Array("{bad \(index)".utf8), headers: headers)
        }
        let reports = try producer.sendBatch([
            deadLetter(0, reason: "invalid-json", attempts: nil),
            deadLetter(1, reason: "invalid-json", attempts: nil),
            deadLetter(2, reason: "missing-text", attempts: nil),
            deadLetter(3, reason: "invalid-json", attempts: 1),
            deadLetter(4, reason: "invalid-json", attempts: 2),
        ])
        XCTAssertTrue(reports.allSatisfy(\.isDelivered))

        let listed = try sluice(["dlq", "list", "--workflow", workflow, "--json"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["total"] as? Int, 5)
        XCTAssertEqual(summary["by_reason"] as? [String: Int], ["invalid-json": 4, "missing-text": 1])
        XCTAssertEqual(summary["by_stage"] as? [String: Int], ["features": 5])
        XCTAssertNotNil(summary["oldest"] as? String)

        let dryRun = try sluice(["dlq", "replay", "--workflow", workflow, "--dry-run"])
        XCTAssertEqual(dryRun.status, 0, dryRun.stderr)
        XCTAssertTrue(dryRun.stdout.contains("would replay 4"), dryRun.stdout)

        let replay = try sluice(["dlq", "replay", "--workflow", workflow])
        XCTAssertEqual(replay.status, 0, replay.stderr)
        XCTAssertTrue(replay.stdout.contains("replayed 4 dead letters from dead-letters (posts: 4)"), replay.stdout)
        XCTAssertTrue(replay.stdout.contains("gave up on 1"), replay.stdout)

        let back = try sluice(["consume", "--topic", "posts", "--from-beginning", "--max", "4", "--headers"])
        XCTAssertEqual(back.status, 0, back.stderr)
        XCTAssertEqual(back.lines.count, 4)
        var attemptsByKey: [String: String] = [:]
        for line in back.lines {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let headers = try XCTUnwrap(object["headers"] as? [String: String])
            let key = try XCTUnwrap(object["key"] as? String)
            attemptsByKey[key] = headers["sluice_attempts"]
            XCTAssertFalse(headers.keys.contains { $0.hasPrefix("sluice_dlq_") }, line)
            XCTAssertEqual(headers["trace"], "t" + key.dropFirst())
            XCTAssertEqual(object["value"] as? String, "{bad " + key.dropFirst())
        }
        XCTAssertEqual(attemptsByKey, ["k0": "1", "k1": "1", "k2": "1", "k3": "2"])

        let again = try sluice(["dlq", "replay", "--workflow", workflow])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("replayed 0 dead letters"), again.stdout)
        XCTAssertTrue(again.stdout.contains("gave up on 0"), again.stdout)
    }
}
