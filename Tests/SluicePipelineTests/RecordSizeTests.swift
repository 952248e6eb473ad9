import Foundation
import SluiceEvents
import SluiceML
import SluicePipeline
import SluiceWorkflow
import XCTest

/// A stage that makes each event much larger, like the features stage adding its embedding.
private struct GrowingStage: Stage {
    let extraBytes: Int
    var requirement: StageRequirement { .text }
    func process(_ batch: [Envelope]) -> [Result<Envelope, StageError>] {
        batch.map { event in
            var event = event
            event.results["padding"] = .string(String(repeating: "p", count: extraBytes))
            return .success(event)
        }
    }
}

/// Every outcome fits the producer's limit, so no record fails the batch on every rejoin.
final class RecordSizeTests: XCTestCase {
    let workflow = try! Workflow.parse(
        """
        workflow: w
        topics: { in: {partitions: 1}, out: {partitions: 1}, dlq: {partitions: 1} }
        input: in
        output: out
        dead_letter: dlq
        stages: [ { name: s, task: passthrough, input: in, output: out } ]
        """)
    let limit = RecordSizeLimit(maxBytes: 10_000)

    func processor(growingBy extra: Int) -> BatchProcessor {
        BatchProcessor(
            workflow: workflow, stage: workflow.stages[0], step: GrowingStage(extraBytes: extra), worker: "w:1",
            sizeLimit: limit)
    }

    func record(_ value: [UInt8], offset: Int64 = 7, headers: [EventHeader] = []) -> InputRecord {
        InputRecord(
            topic: "in", partition: 0, offset: offset, key: Array("k".utf8), value: value, headers: headers,
            timestampMicros: 1)
    }

    func header(_ headers: [EventHeader], _ key: String) -> String? {
        headers.last { $0.key == key }.map { String(decoding: $0.value, as: UTF8.self) }
    }

    func testAnOutputOverTheLimitBecomesTheDeadLetterOutputTooLarge() throws {
        let input = Array(#"{"id":"big","text":"hello"}"#.utf8)
        let outcomes = processor(growingBy: 20_000).run([record(input)], consumedAt: 2)
        guard case .deadLetter(let key, let value, let headers, let reason) = outcomes[0] else {
            return XCTFail("expected a dead letter, got \(outcomes[0])")
        }
        XCTAssertEqual(reason, DeadLetterReason.outputTooLarge)
        XCTAssertEqual(header(headers, DeadLetterHeaders.reason), "output-too-large")
        XCTAssertTrue(header(headers, DeadLetterHeaders.detail)!.contains("message.max.bytes"))
        XCTAssertEqual(value, input, "the dead letter carries the input, which fits")
        XCTAssertEqual(key, Array("k".utf8))
        XCTAssertTrue(limit.fits(key: key, value: value, headers: headers))
    }

    func testAnOutputJustUnderTheLimitIsProduced() {
        let outcomes = processor(growingBy: 8_000).run([record(Array(#"{"text":"hello"}"#.utf8))], consumedAt: 2)
        guard case .output(let key, let value, let headers) = outcomes[0] else { return XCTFail("\(outcomes[0])") }
        XCTAssertTrue(limit.fits(key: key, value: value, headers: headers))
        XCTAssertGreaterThan(value.count, 8_000)
    }

    func testADeadLetterOverTheLimitIsTruncatedWithTheDigestOfTheWhole() throws {
        let input = Array("{not json ".utf8) + [UInt8](repeating: 0x41, count: 50_000)
        let outcomes = processor(growingBy: 0).run(
            [record(input, headers: [EventHeader("tenant", "acme")])], consumedAt: 2)
        guard case .deadLetter(let key, let value, let headers, let reason) = outcomes[0] else {
            return XCTFail("expected a dead letter, got \(outcomes[0])")
        }
        XCTAssertEqual(reason, DeadLetterReason.truncated)
        XCTAssertEqual(header(headers, DeadLetterHeaders.reason), "truncated")
        XCTAssertEqual(header(headers, DeadLetterHeaders.originalReason), "invalid-json")
        XCTAssertEqual(header(headers, DeadLetterHeaders.originalSHA256), ContentDigest.sha256Hex(input))
        XCTAssertEqual(header(headers, DeadLetterHeaders.originalBytes), String(input.count))
        XCTAssertEqual(header(headers, DeadLetterHeaders.sourceOffset), "7")
        XCTAssertEqual(header(headers, "tenant"), "acme", "small caller headers are kept")
        XCTAssertTrue(limit.fits(key: key, value: value, headers: headers), "the truncated dead letter fits")
        XCTAssertGreaterThan(value.count, 5_000, "it keeps as much of the value as fits")
        XCTAssertEqual(value, Array(input.prefix(value.count)), "the value is the first bytes of the input")
    }

    func testHugeCallerHeadersAndKeyAreDroppedFromATruncatedDeadLetter() {
        let headers = [EventHeader(key: "blob", value: [UInt8](repeating: 1, count: 30_000))]
        let input = InputRecord(
            topic: "in", partition: 0, offset: 1, key: [UInt8](repeating: 2, count: 30_000),
            value: Array(#"{"text":"x"}"#.utf8), headers: headers, timestampMicros: 1)
        let outcomes = processor(growingBy: 0).run([input], consumedAt: 2)
        guard case .deadLetter(let key, let value, let out, let reason) = outcomes[0] else {
            return XCTFail("expected a dead letter, got \(outcomes[0])")
        }
        XCTAssertEqual(reason, DeadLetterReason.truncated)
        XCTAssertNil(out.first { $0.key == "blob" })
        XCTAssertLessThanOrEqual(key?.count ?? 0, 256)
        XCTAssertTrue(limit.fits(key: key, value: value, headers: out))
    }

    func testTheLimitComesFromTheProducerProperty() {
        XCTAssertEqual(RecordSizeLimit(properties: [:]).maxBytes, 1_000_000)
        XCTAssertEqual(RecordSizeLimit(properties: ["message.max.bytes": "2000000"]).maxBytes, 2_000_000)
    }
}
