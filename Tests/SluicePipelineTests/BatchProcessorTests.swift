import SluiceEvents
import SluicePipeline
import SluiceWorkflow
import XCTest

/// A stage that fails events whose text says so, to exercise stage errors.
private struct PickyStage: Stage {
    var requirement: StageRequirement { .text }
    func process(_ batch: [Envelope]) -> [Result<Envelope, StageError>] {
        batch.map { event in
            event.text == "fail me" ? .failure(StageError(reason: "stage-error", detail: "asked to")) : .success(event)
        }
    }
}

final class BatchProcessorTests: XCTestCase {
    let workflow = try! Workflow.parse(
        """
        workflow: w
        topics: { in: {partitions: 1}, out: {partitions: 1}, dlq: {partitions: 1} }
        input: in
        output: out
        dead_letter: dlq
        stages: [ { name: s, task: passthrough, input: in, output: out } ]
        limits: { max_text_bytes: 50 }
        """)

    func record(_ value: String, offset: Int64, headers: [EventHeader] = []) -> InputRecord {
        InputRecord(
            topic: "in", partition: 0, offset: offset, key: nil, value: Array(value.utf8), headers: headers,
            timestampMicros: 1_000)
    }

    func testEachRecordGetsOneOutcomeInOrder() throws {
        let processor = BatchProcessor(
            workflow: workflow, stage: workflow.stages[0], step: PickyStage(), worker: "host:1")
        let records = [
            record(#"{"text": "good", "id": "a"}"#, offset: 0, headers: [EventHeader("tenant", "t1")]),
            record("{oops", offset: 1),
            record(#"{"text": "fail me"}"#, offset: 2),
            record(#"{"id": "x"}"#, offset: 3),
            record(#"{"text": "\#(String(repeating: "x", count: 60))"}"#, offset: 4),
            record(#"{"text": "plain"}"#, offset: 5),
        ]
        let outcomes = processor.run(records, consumedAt: 5_000)
        XCTAssertEqual(outcomes.count, records.count)
        let reasons: [String?] = outcomes.map {
            if case .deadLetter(_, _, _, let reason) = $0 { return reason }
            return nil
        }
        XCTAssertEqual(reasons, [nil, "invalid-json", "stage-error", "missing-text", "text-too-long", nil])

        guard case .output(let key, let value, let headers) = outcomes[0] else { return XCTFail() }
        XCTAssertEqual(String(decoding: key, as: UTF8.self), "a")
        let event = try Envelope.decode(value, fallbackID: "", fallbackCreatedAt: 0)
        XCTAssertEqual(event.hops.count, 1)
        XCTAssertEqual(event.hops[0].stage, "s")
        XCTAssertEqual(event.hops[0].consumedAt, 5_000)
        XCTAssertGreaterThanOrEqual(event.hops[0].producedAt, event.hops[0].consumedAt)
        XCTAssertEqual(event.hops[0].batchSize, 3, "three records decoded and went to the stage")
        XCTAssertEqual(headers.first { $0.key == "tenant" }?.text, "t1")
        XCTAssertEqual(headers.first { $0.key == "ce_id" }?.text, "a")

        guard case .output(_, let plainValue, _) = outcomes[5] else { return XCTFail() }
        let plain = try Envelope.decode(plainValue, fallbackID: "", fallbackCreatedAt: 0)
        XCTAssertEqual(plain.id, "in-0-5", "an event without id gets one from its source position")
        XCTAssertEqual(plain.createdAt, 1_000)

        guard case .deadLetter(_, let dlqValue, let dlqHeaders, _) = outcomes[1] else { return XCTFail() }
        XCTAssertEqual(dlqValue, Array("{oops".utf8), "dead letters keep the value unchanged")
        let byKey = Dictionary(dlqHeaders.map { ($0.key, $0.text) }, uniquingKeysWith: { $1 })
        XCTAssertEqual(byKey[DeadLetterHeaders.sourceTopic], "in")
        XCTAssertEqual(byKey[DeadLetterHeaders.sourcePartition], "0")
        XCTAssertEqual(byKey[DeadLetterHeaders.sourceOffset], "1")
        XCTAssertEqual(byKey[DeadLetterHeaders.stage], "s")
    }

    func testEmbeddingRequirementIsChecked() {
        struct NeedsVector: Stage {
            var requirement: StageRequirement { .embedding(dimension: 4) }
            func process(_ batch: [Envelope]) -> [Result<Envelope, StageError>] { batch.map { .success($0) } }
        }
        let processor = BatchProcessor(workflow: workflow, stage: workflow.stages[0], step: NeedsVector(), worker: "w")
        var withVector = Envelope(id: "v", createdAt: 1, text: "t", embedding: [1, 2, 3, 4])
        let good = String(decoding: withVector.encoded(), as: UTF8.self)
        withVector.embedding = [1, 2]
        let short = String(decoding: withVector.encoded(), as: UTF8.self)
        let outcomes = processor.run(
            [record(good, offset: 0), record(short, offset: 1), record(#"{"text": "t"}"#, offset: 2)], consumedAt: 1)
        let reasons: [String?] = outcomes.map {
            if case .deadLetter(_, _, _, let reason) = $0 { return reason }
            return nil
        }
        XCTAssertEqual(reasons, [nil, "bad-embedding", "missing-embedding"])
    }
}
