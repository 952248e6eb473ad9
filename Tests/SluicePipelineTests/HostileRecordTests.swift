import Foundation
import SluiceEvents
import SluiceKafka
import SluiceML
import SluicePipeline
import SluiceTesting
import XCTest

/// Any bytes on any stage's input end in the output or the dead-letter topic:
/// hostile records mixed into a stream of good ones, through the shipped
/// three-stage workflow run as `sluice worker` processes.
final class HostileRecordTests: PipelineTestCase {
    /// Key (the record's id) and the dead-letter reason it must get.
    struct Hostile {
        let topic: String
        let key: String
        let value: [UInt8]
        let reason: String
    }

    static func json(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func floats(_ bits: [UInt32]) -> String {
        Data(bits.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.littleEndian >> ($0 * 8)) } })
            .base64EncodedString()
    }

    let hostile: [Hostile] = [
        Hostile(
            topic: "posts", key: "h-dim-overflow",
            value: json(#"{"id":"h-dim-overflow","text":"x","embedding":{"dim":4611686018427387904,"b64":""}}"#),
            reason: "bad-embedding"),
        Hostile(
            topic: "posts", key: "h-dim-negative",
            value: json(#"{"id":"h-dim-negative","text":"x","embedding":{"dim":-3,"b64":""}}"#), reason: "bad-embedding"
        ),
        Hostile(
            topic: "posts", key: "h-nan",
            value: json(#"{"id":"h-nan","text":"x","embedding":{"dim":2,"b64":"\#(floats([0x7FC0_0000, 0]))"}}"#),
            reason: "bad-embedding"),
        Hostile(
            topic: "posts", key: "h-deep",
            value: json(#"{"id":"h-deep","text":"x","data":{"a":\#(String(repeating: "[", count: 50_000))}}"#),
            reason: "invalid-json"),
        Hostile(
            topic: "posts", key: "h-garbage", value: (0..<4_096).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) },
            reason: "invalid-json"),
        Hostile(topic: "posts", key: "h-array", value: json("[1,2,3]"), reason: "not-an-object"),
        Hostile(
            topic: "posts", key: "h-long-text",
            value: json(#"{"id":"h-long-text","text":"\#(String(repeating: "a", count: 25_000))"}"#),
            reason: "text-too-long"),
        // Fits the broker, but the features stage adds its embedding and the output no longer does.
        Hostile(
            topic: "posts", key: "h-grows",
            value: json(#"{"id":"h-grows","text":"x","data":{"blob":"\#(String(repeating: "b", count: 998_000))"}}"#),
            reason: "output-too-large"),
        // Its dead letter (the input itself) is over message.max.bytes: cut, with the digest of the whole.
        Hostile(
            topic: "posts", key: "h-5mb",
            value: json(#"{"id":"h-5mb","text":"x","data":{"blob":"\#(String(repeating: "c", count: 5_000_000))"}}"#),
            reason: "truncated"),
        Hostile(
            topic: "features", key: "h-wrong-dim",
            value: json(#"{"id":"h-wrong-dim","text":"x","embedding":{"dim":2,"b64":"\#(floats([0, 0]))"}}"#),
            reason: "bad-embedding"),
        Hostile(
            topic: "features", key: "h-no-embedding", value: json(#"{"id":"h-no-embedding","text":"x"}"#),
            reason: "missing-embedding"),
    ]

    func testHostileRecordsAreDeadLetteredWithTheirReasonAndTheStreamGoesOn() throws {
        let path = PackagePaths.root.appendingPathComponent("topics/sentiment-monitoring.yaml").path
        let workflow = try exampleWorkflow()
        try applyTopics(workflow)
        let stages = ["features", "topics", "sentiment"]
        let workers = try stages.map { try startWorkerProcess(workflowPath: path, stage: $0) }

        let texts = try tweets(150)
        var messages = texts.enumerated().map { event(id: "g-\($0.offset)", text: $0.element) }
        for (slot, bad) in hostile.enumerated() {  // spread through the stream
            let message = KafkaProducerMessage(topic: bad.topic, key: Array(bad.key.utf8), value: bad.value)
            messages.insert(message, at: min(messages.count, (slot + 1) * 12))
        }
        let producer = try KafkaProducer(
            config: KafkaProducerConfig(
                common: KafkaConfig(
                    bootstrapServers: broker.bootstrapServers, clientID: "hostile",
                    properties: ["message.max.bytes": "6000000"])))
        defer { producer.close() }
        let reports = try producer.sendBatch(messages)
        XCTAssertTrue(
            reports.allSatisfy(\.isDelivered), "the broker accepts every test record: \(reports.compactMap(\.error))")

        let out = try readTopic("scored", timeout: 180) { try! distinctIDs($0).ids.count >= texts.count }
        let (ids, duplicates) = try distinctIDs(out)
        XCTAssertEqual(ids, Set(texts.indices.map { "g-\($0)" }), "every good event comes out")
        let letters = try readTopic("dead-letters", timeout: 60) { $0.count >= self.hostile.count }
        var reasons: [String: String] = [:]
        for record in letters {
            let key = String(decoding: record.key ?? [], as: UTF8.self)
            reasons[key] = record.headers.last { $0.key == DeadLetterHeaders.reason }.map {
                String(decoding: $0.value ?? [], as: UTF8.self)
            }
        }
        for bad in hostile {
            XCTAssertEqual(reasons[bad.key], bad.reason, "\(bad.key) is dead-lettered with its reason")
        }
        let truncated = try XCTUnwrap(letters.first { $0.key == Array("h-5mb".utf8) })
        XCTAssertLessThanOrEqual(truncated.value.count, 1_000_000)
        XCTAssertEqual(
            truncated.headers.last { $0.key == DeadLetterHeaders.originalSHA256 }?.value.map {
                String(decoding: $0, as: UTF8.self)
            },
            ContentDigest.sha256Hex(hostile.first { $0.key == "h-5mb" }!.value))

        for (stage, process) in zip(stages, workers) {
            XCTAssertTrue(process.isRunning, "the \(stage) worker is still the first process started")
            let log = try String(contentsOf: processLogs[process.processIdentifier]!, encoding: .utf8)
            XCTAssertFalse(log.contains("rejoining"), "the \(stage) worker never had to rejoin:\n\(log.suffix(2_000))")
        }
        print(
            "HOSTILE: good in \(texts.count), out \(ids.count), duplicates \(duplicates); hostile \(hostile.count), dead-lettered \(reasons.count)"
        )
    }
}
