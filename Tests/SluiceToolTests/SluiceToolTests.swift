import Foundation
import SluiceBroker
import SluiceKafka
import XCTest

/// End-to-end tests of the `sluice` commands: the built binary run as a
/// subprocess against an embedded Tansu broker started per test.
final class SluiceToolTests: XCTestCase {
    var broker: EmbeddedBroker!
    var directory: URL!

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw XCTSkip("\(Self.binary.path) is not built: run `swift build -c release --product sluice` (make test does)")
        }
        broker = try EmbeddedBroker()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-tool-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        broker?.stop()
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    // MARK: topics

    func testTopicsApplyCreatesThenReportsExisting() throws {
        let file = try write("topics.yaml", """
            topics:
              posts: { partitions: 4, config: { retention.ms: "86400000" } }
              features: { partitions: 2 }
            """)
        let first = try sluice(["topics", "apply", file])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.lines, ["created posts (4 partitions)", "created features (2 partitions)"])

        let second = try sluice(["topics", "apply", file])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(second.lines, ["exists posts (4 partitions)", "exists features (2 partitions)"])

        let differing = try write("more.yaml", "topics:\n  posts: { partitions: 8 }\n")
        let third = try sluice(["topics", "apply", differing])
        XCTAssertEqual(third.status, 0, third.stderr)
        XCTAssertEqual(third.lines, ["exists posts (4 partitions)"])
        XCTAssertTrue(third.stderr.contains("posts has 4 partitions"), third.stderr)
        XCTAssertTrue(third.stderr.contains("wants 8"), third.stderr)
        XCTAssertTrue(third.stderr.contains("not changed"), third.stderr)

        let list = try sluice(["topics", "list"])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.lines.contains { $0.hasPrefix("posts") && $0.hasSuffix("4 partitions") }, list.stdout)
    }

    func testMalformedFileExitsNonZeroWithLocation() throws {
        let file = try write("bad.yaml", """
            topics:
              posts: { partitions: 4 }
              features: { partitions: many }
            """)
        let result = try sluice(["topics", "apply", file])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("\(file):3"), result.stderr)
        XCTAssertTrue(result.stderr.contains("partitions"), result.stderr)
        XCTAssertEqual(result.stdout, "")
    }

    // MARK: produce and consume

    func testMissingTopicIsReportedNotCreated() throws {
        for arguments in [["consume", "--topic", "missing", "--max", "1"], ["produce", "--topic", "missing"]] {
            let result = try sluice(arguments, stdin: "{}\n", timeout: 30)
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains("topic 'missing' does not exist"), result.stderr)
        }
        let list = try sluice(["topics", "list"])
        XCTAssertFalse(list.stdout.contains("missing"), list.stdout)
    }


    func testProduceFillsInIdsAndConsumeReturnsEverything() throws {
        let topics = try write("topics.yaml", "topics:\n  posts: { partitions: 4 }\n")
        XCTAssertEqual(try sluice(["topics", "apply", topics]).status, 0)
        var input = ""
        for index in 0..<500 {
            input += "{\"text\": \"post number \(index)\"}\n"
            if index % 25 == 0 { input += "{broken \(index / 25)\n\n" }
        }
        let produced = try sluice(["produce", "--topic", "posts"], stdin: input)
        XCTAssertEqual(produced.status, 0, produced.stderr)
        XCTAssertTrue(produced.stderr.contains("520 acked, 0 failed"), produced.stderr)
        XCTAssertTrue(produced.stderr.contains("20 lines were not JSON objects"), produced.stderr)

        let consumed = try sluice(["consume", "--topic", "posts", "--from-beginning", "--max", "520"])
        XCTAssertEqual(consumed.status, 0, consumed.stderr)
        XCTAssertEqual(consumed.lines.count, 520)
        var objects = 0
        var strings = 0
        var ids = Set<String>()
        for line in consumed.lines {
            let value = try JSONSerialization.jsonObject(with: Data(line.utf8), options: .fragmentsAllowed)
            if let object = value as? [String: Any] {
                objects += 1
                if let id = object["id"] as? String, UUID(uuidString: id) != nil { ids.insert(id) }
                XCTAssertNotNil(object["created_at"] as? NSNumber, line)
                XCTAssertNotNil(object["text"] as? String, line)
            } else if let text = value as? String {
                strings += 1
                XCTAssertTrue(text.hasPrefix("{broken"), text)
            }
        }
        XCTAssertEqual(objects, 500)
        XCTAssertEqual(ids.count, 500)
        XCTAssertEqual(strings, 20)
    }

    // MARK: dead letters

    func testDeadLetterListAndReplay() throws {
        let workflow = try write("flow.yaml", """
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
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: KafkaConfig(bootstrapServers: broker.bootstrapServers)))
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
            return KafkaProducerMessage(topic: "dead-letters", key: "k\(index)", value: Array("{bad \(index)".utf8), headers: headers)
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

    // MARK: Helpers

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var binary: URL { packageRoot.appendingPathComponent(".build/release/sluice") }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    // MARK: status

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
            return KafkaProducerMessage(topic: "sluice-registry", key: "reg/relay/\(instance)", value: Array(value.utf8))
        }
        let metrics = #"{"at":\#(now),"window":"10s","window_s":10,"stages":[{"stage":"relay","replicas_needed":3}]}"#
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: KafkaConfig(bootstrapServers: broker.bootstrapServers)))
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
        XCTAssertTrue(text.stdout.contains("reg/relay: 2 live replicas, 1 in the workflow file, needed 3, lag 0"), text.stdout)
        XCTAssertFalse(text.stdout.contains("STALE"), "60 s is within --stale-after 90: \(text.stdout)")
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try (text + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Runs `sluice` with SLUICE_BROKERS set to the test's broker; output goes
    /// through files so a full pipe can never stall the child.
    func sluice(_ arguments: [String], stdin: String = "", timeout: TimeInterval = 60) throws -> Outcome {
        let id = UUID().uuidString.prefix(8)
        let inURL = directory.appendingPathComponent("in-\(id)")
        let outURL = directory.appendingPathComponent("out-\(id)")
        let errURL = directory.appendingPathComponent("err-\(id)")
        try Data(stdin.utf8).write(to: inURL)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SLUICE_BROKERS"] = broker.bootstrapServers
        process.environment = environment
        process.currentDirectoryURL = Self.packageRoot
        process.standardInput = try FileHandle(forReadingFrom: inURL)
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            XCTFail("sluice \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }
}
