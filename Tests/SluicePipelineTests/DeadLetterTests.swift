import Foundation
import SluiceEvents
import SluiceKafka
import SluicePipeline
import XCTest

final class DeadLetterTests: PipelineTestCase {
    func testMalformedRecordsGoToTheDeadLetterTopicWithTheirReasonAndGoodOnesFlow() throws {
        let workflow = try exampleWorkflow()
        try applyTopics(workflow)
        try startWorker(workflow, stage: "features")
        let kinds: [(value: String, reason: String)] = [
            ("{\"text\": ", "invalid-json"),
            ("[\"text\", \"list\"]", "not-an-object"),
            ("{\"id\": \"x\", \"body\": \"no text\"}", "missing-text"),
            ("{\"text\": 12}", "wrong-type"),
            ("{\"text\": \"\(String(repeating: "a", count: 20_001))\"}", "text-too-long"),
            ("plain words, not JSON", "invalid-json"),
            ("{\"text\": \"ok\", \"created_at\": \"noon\"}", "wrong-type"),
            ("{\"text\": \"ok\", \"embedding\": {\"dim\": 3, \"b64\": \"AAAA\"}}", "bad-embedding"),
        ]
        let texts = try tweets(1_000)
        var messages: [KafkaProducerMessage] = []
        var expected: [String: String] = [:]
        for (index, text) in texts.enumerated() {
            messages.append(event(id: "good-\(index)", text: text))
            if index % 5 == 0 {
                let bad = kinds[(index / 5) % kinds.count]
                let key = "bad-\(index / 5)"
                expected[key] = bad.reason
                messages.append(
                    KafkaProducerMessage(topic: "posts", key: Array(key.utf8), value: Array(bad.value.utf8)))
            }
        }
        XCTAssertEqual(expected.count, 200)
        try produce(messages)

        let out = try readTopic("features", timeout: 120) { try! distinctIDs($0).ids.count >= texts.count }
        XCTAssertEqual(try distinctIDs(out).ids.count, texts.count, "all good events come out")
        let dead = try readTopic("dead-letters", timeout: 60) { Set($0.compactMap(\.key)).count >= expected.count }
        var seen: [String: String] = [:]
        for record in dead {
            let key = String(decoding: record.key ?? [], as: UTF8.self)
            let headers = Dictionary(
                record.headers.map { ($0.key, String(decoding: $0.value ?? [], as: UTF8.self)) },
                uniquingKeysWith: { $1 })
            seen[key] = headers[DeadLetterHeaders.reason]
            XCTAssertEqual(headers[DeadLetterHeaders.stage], "features")
            XCTAssertEqual(headers[DeadLetterHeaders.sourceTopic], "posts")
            XCTAssertNotNil(headers[DeadLetterHeaders.sourceOffset].flatMap { Int($0) })
            XCTAssertNotNil(headers[DeadLetterHeaders.detail])
        }
        XCTAssertEqual(seen, expected, "every malformed record is a dead letter with its reason")
        let original = Dictionary(
            messages.compactMap { m in m.key.map { (String(decoding: $0, as: UTF8.self), m.value) } },
            uniquingKeysWith: { $1 })
        for record in dead {
            XCTAssertEqual(
                record.value, original[String(decoding: record.key ?? [], as: UTF8.self)],
                "dead letters keep the value unchanged")
        }
    }

    func testCallerHeadersAndTraceparentReachTheOutput() throws {
        let (workflow, _) = try workflowFile(
            """
            workflow: relay
            topics: { posts: {partitions: 2}, middle: {partitions: 2}, done: {partitions: 2}, dlq: {partitions: 1} }
            input: posts
            output: done
            dead_letter: dlq
            stages:
              - { name: first, task: passthrough, input: posts, output: middle }
              - { name: second, task: passthrough, input: middle, output: done }
            """)
        try applyTopics(workflow)
        try startWorker(workflow, stage: "first")
        try startWorker(workflow, stage: "second")
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736"
        let messages = (0..<20).map { index in
            var message = event(id: "h-\(index)", text: "hello \(index)")
            message.headers = [
                KafkaHeader(key: "traceparent", value: "00-\(trace)-00f067aa0ba902b7-01"),
                KafkaHeader(key: "tenant", value: "acme"),
            ]
            return message
        }
        try produce(messages)
        let out = try readTopic("done", timeout: 60) { $0.count >= messages.count }
        XCTAssertEqual(out.count, messages.count)
        for record in out {
            let headers = Dictionary(
                record.headers.map { ($0.key, String(decoding: $0.value ?? [], as: UTF8.self)) },
                uniquingKeysWith: { $1 })
            XCTAssertEqual(headers["tenant"], "acme", "a caller's header is carried through every stage")
            let context = try XCTUnwrap(TraceContext.parse(headers["traceparent"] ?? ""))
            XCTAssertEqual(context.traceID, trace, "the trace continues")
            XCTAssertNotEqual(context.spanID, "00f067aa0ba902b7", "the stage adds its own span")
            XCTAssertEqual(headers["ce_source"], "/sluice/relay/second")
            XCTAssertEqual(headers["ce_specversion"], "1.0")
            XCTAssertEqual(headers["ce_id"], String(decoding: record.key ?? [], as: UTF8.self))
        }
    }
}
