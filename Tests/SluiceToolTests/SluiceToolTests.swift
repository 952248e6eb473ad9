import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import SluiceKafka
import XCTest

/// End-to-end tests of the `sluice` commands: the built binary run as a
/// subprocess against an embedded Tansu broker started per test.
final class SluiceToolTests: XCTestCase {
    private var broker: EmbeddedBroker!
    private var directory: URL!

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

    private static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    private static var binary: URL { packageRoot.appendingPathComponent(".build/release/sluice") }

    private struct Outcome {
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

    // MARK: deploy

    /// The committed sentiment head with `changes` applied, written to the test folder.
    private func headFile(_ name: String, _ changes: [String: Any]) throws -> String {
        let committed = Self.packageRoot.appendingPathComponent("models/sentiment-head.json")
        var root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: committed)) as? [String: Any])
        root.merge(changes) { _, new in new }
        let url = directory.appendingPathComponent(name)
        try JSONSerialization.data(withJSONObject: root).write(to: url)
        return url.path
    }

    func testDeployRefusesBadAnnouncementsNamingProblemAndFix() throws {
        let workflow = "topics/sentiment-monitoring.yaml"
        let good = try headFile("v2.json", ["version": "v2"])
        let f32 = { (n: Int) in Data(count: n * 4).base64EncodedString() }
        let tenD = try headFile("ten-d.json", [
            "version": "ten-d", "kind": "softmax", "input_dimension": 10, "hidden_size": 0,
            "weights": ["weight": ["shape": [10, 3], "data": f32(30)], "bias": ["shape": [3], "data": f32(3)]],
        ])
        let otherModel = try headFile("other.json", ["version": "other", "model": "some-other-encoder@0000"])
        let corrupt = directory.appendingPathComponent("corrupt.json").path
        try Data(try Data(contentsOf: URL(fileURLWithPath: good)).prefix(3_000)).write(to: URL(fileURLWithPath: corrupt))
        let cases: [([String], [String])] = [
            (["--stage", "nope", "--head", good], ["unknown stage 'nope'", "features, topics, sentiment", "--stage"]),
            (["--stage", "topics", "--head", good], ["stage 'topics' classifies zero-shot from labels", "only stages with a head"]),
            (["--stage", "sentiment", "--head", tenD], ["takes 10-dimensional embeddings", "receives 384-dimensional", "train a head"]),
            (["--stage", "sentiment", "--head", otherModel], ["trained on embeddings of 'some-other-encoder@0000'", "train the head on"]),
            (["--stage", "sentiment", "--head", corrupt], ["\(corrupt): not valid JSON", "corrupt or truncated", "sluice train"]),
            (["--stage", "sentiment", "--head", good, "--canary", "1.5"], ["--canary must be a fraction between 0 and 1"]),
        ]
        for (arguments, expected) in cases {
            let result = try sluice(["deploy", "--workflow", workflow] + arguments)
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            for text in expected { XCTAssertTrue(result.stderr.contains(text), "\(arguments): \(result.stderr)") }
        }
        // Nothing was announced.
        let show = try sluice(["deploy", "show", "--workflow", workflow, "--stage", "sentiment"])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("nothing deployed"), show.stdout)
    }

    func testDeployCanaryPromoteRollbackAndShow() throws {
        let workflow = ["--workflow", "topics/sentiment-monitoring.yaml", "--stage", "sentiment"]
        let good = try headFile("v2.json", ["version": "v2"])
        let original = try XCTUnwrap(
            (JSONSerialization.jsonObject(
                with: Data(contentsOf: Self.packageRoot.appendingPathComponent("models/sentiment-head.json"))) as? [String: Any])?[
                    "version"] as? String)

        let canary = try sluice(["deploy"] + workflow + ["--head", good, "--canary", "0.1"])
        XCTAssertEqual(canary.status, 0, canary.stderr)
        XCTAssertTrue(canary.stdout.contains("announced head \(original), v2 on sluice-control"), canary.stdout)
        XCTAssertTrue(canary.stdout.contains("active \(original), canary v2 on 10 % of events"), canary.stdout)

        let again = try sluice(["deploy"] + workflow + ["--head", good, "--canary", "0.1"])
        XCTAssertTrue(again.stdout.hasPrefix("unchanged: "), again.stdout)

        let promote = try sluice(["deploy", "promote"] + workflow)
        XCTAssertEqual(promote.status, 0, promote.stderr)
        XCTAssertTrue(promote.stdout.contains("active v2, previous \(original)"), promote.stdout)
        let noCanary = try sluice(["deploy", "promote"] + workflow)
        XCTAssertNotEqual(noCanary.status, 0)
        XCTAssertTrue(noCanary.stderr.contains("no canary") && noCanary.stderr.contains("--canary 0.1"), noCanary.stderr)

        let show = try sluice(["deploy", "show"] + workflow + ["--json"])
        XCTAssertEqual(show.status, 0, show.stderr)
        let state = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(state["active"] as? String, "v2")
        XCTAssertEqual(state["previous"] as? [String], [original])

        let rollback = try sluice(["deploy", "rollback"] + workflow)
        XCTAssertEqual(rollback.status, 0, rollback.stderr)
        XCTAssertTrue(rollback.stdout.contains("active \(original), no previous version"), rollback.stdout)

        // The same version with other content is refused; --version gives it its own.
        let changed = try headFile("v2b.json", ["version": "v2", "corpus_sha256": "changed"])
        let clash = try sluice(["deploy"] + workflow + ["--head", changed])
        XCTAssertNotEqual(clash.status, 0)
        XCTAssertTrue(
            clash.stderr.contains("'v2' was already announced") && clash.stderr.contains("--version V"), clash.stderr)
        let renamed = try sluice(["deploy"] + workflow + ["--head", good, "--version", "v3"])
        XCTAssertEqual(renamed.status, 0, renamed.stderr)
        XCTAssertTrue(renamed.stdout.contains("active v3"), renamed.stdout)
        let listed = try sluice(["deploy", "show"] + workflow)
        XCTAssertTrue(listed.stdout.contains("versions on sluice-control: \(original), v2, v3"), listed.stdout)
    }

    private func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try (text + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    // MARK: gateway

    /// `sluice gateway --tokens-file`: tokens (comments and blank lines skipped) guard the
    /// POST routes of the running command, and SIGTERM stops it with status 0.
    func testGatewayCommandReadsTokensFileAndStopsOnSigterm() throws {
        XCTAssertEqual(try sluice(["topics", "apply", "topics/sentiment-monitoring.yaml"]).status, 0)
        let empty = try write("empty-tokens", "# no tokens yet\n\n")
        let refused = try sluice(["gateway", "--workflow", "topics/sentiment-monitoring.yaml", "--port", "0", "--tokens-file", empty])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("holds no token: put one token per line"), refused.stderr)
        let missing = try sluice(["gateway", "--workflow", "topics/sentiment-monitoring.yaml", "--tokens-file", "/no/such/file"])
        XCTAssertTrue(missing.stderr.contains("cannot read the tokens file '/no/such/file'"), missing.stderr)

        let tokens = try write("tokens", "# team tokens\nalpha-token\n\n  beta-token   # the batch job\n")
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = [
            "gateway", "--workflow", "topics/sentiment-monitoring.yaml", "--port", "0", "--tokens-file", tokens,
            "--brokers", broker.bootstrapServers,
        ]
        process.currentDirectoryURL = Self.packageRoot
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // The first line names the address: "gateway for NAME: http://127.0.0.1:PORT/ ...".
        var line = ""
        let reader = output.fileHandleForReading
        while !line.hasSuffix("\n"), process.isRunning {
            let byte = reader.readData(ofLength: 1)
            if byte.isEmpty { break }
            line += String(decoding: byte, as: UTF8.self)
        }
        let port = try XCTUnwrap(
            line.range(of: #"127\.0\.0\.1:(\d+)/"#, options: .regularExpression).map { line[$0].dropFirst(10).dropLast() },
            line)
        func post(_ token: String?) throws -> Int {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/workflows/sentiment-monitoring/events")!)
            request.httpMethod = "POST"
            request.httpBody = Data(#"{"text": "hello"}"#.utf8)
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            let done = DispatchSemaphore(value: 0)
            let status = StatusBox()
            URLSession.shared.dataTask(with: request) { _, response, _ in
                status.value = (response as? HTTPURLResponse)?.statusCode ?? -1
                done.signal()
            }.resume()
            XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
            return status.value
        }
        XCTAssertEqual(try post(nil), 401)
        XCTAssertEqual(try post("alpha-token"), 202)
        XCTAssertEqual(try post("beta-token"), 202, "a token after spaces and before a comment")
        XCTAssertEqual(try post("# the batch job"), 401)
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertFalse(process.isRunning, "the gateway stops on SIGTERM")
        XCTAssertEqual(process.terminationStatus, 0)
    }

    /// Runs `sluice` with SLUICE_BROKERS set to the test's broker; output goes
    /// through files so a full pipe can never stall the child.
    private func sluice(_ arguments: [String], stdin: String = "", timeout: TimeInterval = 60) throws -> Outcome {
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

final class StatusBox: @unchecked Sendable {
    var value = 0
}
