import Foundation
import SluiceEvents
import SluiceKafka
import SluiceML
import SluicePipeline
import XCTest

/// The shipped three-stage workflow with the real model on a real broker.
final class EndToEndTests: PipelineTestCase {
    func testThousandEventsComeOutOnceEmbeddedLabelledAndScored() throws {
        let workflow = try exampleWorkflow()
        try applyTopics(workflow)
        for stage in workflow.stages { try startWorker(workflow, stage: stage.name) }
        let texts = try tweets(1_000)
        try produce(texts.enumerated().map { event(id: "e-\($0.offset)", text: $0.element) })

        let out = try readTopic("scored", timeout: 240) { try! distinctIDs($0).ids.count >= texts.count }
        let (ids, duplicates) = try distinctIDs(out)
        XCTAssertEqual(ids.count, texts.count, "every event must come out")
        XCTAssertEqual(duplicates, 0, "nothing disturbed the groups, so nothing may come out twice")

        let precision = try Precision.parse(workflow.stages[0].precision ?? "fp32")
        let direct = try MiniLMEncoder(options: EncoderOptions(precision: precision)).embed(texts)
        let labels = Set(workflow.stages[1].labels.map(\.name))
        for record in out {
            let event = try Envelope.decode(record.value, fallbackID: "", fallbackCreatedAt: 0)
            let index = try XCTUnwrap(Int(event.id.dropFirst(2)))
            XCTAssertEqual(event.text, texts[index])
            let embedding = try XCTUnwrap(event.embedding)
            let cosine = zip(embedding, direct[index]).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            XCTAssertGreaterThan(cosine, 0.9999, "embedding of \(event.id) differs from the engine's own")
            let label = try XCTUnwrap(event.results["label"]?["name"]?.stringValue)
            XCTAssertTrue(labels.contains(label), label)
            let sentiment = try XCTUnwrap(event.results["sentiment"])
            let score = try XCTUnwrap(sentiment["score"]?.doubleValue)
            let expected = try XCTUnwrap(sentiment["positive"]?.doubleValue) - (sentiment["negative"]?.doubleValue ?? 9)
            XCTAssertEqual(score, expected, accuracy: 1e-6)
            XCTAssertEqual(event.hops.map(\.stage), ["features", "topics", "sentiment"])
            var last = event.createdAt
            for hop in event.hops {
                XCTAssertLessThanOrEqual(
                    last, hop.consumedAt, "\(event.id): hop \(hop.stage) consumed before its input was made")
                XCTAssertLessThanOrEqual(hop.consumedAt, hop.producedAt)
                XCTAssertGreaterThan(hop.batchSize, 0)
                last = hop.producedAt
            }
        }
    }

    func testTwoWorkersOfFeaturesShareThePartitionsAndProduceEveryEventOnce() throws {
        let workflow = try exampleWorkflow()
        try applyTopics(workflow)
        let first = try startWorker(workflow, stage: "features")
        let second = try startWorker(workflow, stage: "features")
        // Both hold partitions before any event arrives, so no rebalance happens mid-stream.
        let deadline = Date().addingTimeInterval(30)
        while (first.worker.counters.snapshot.assigned.count + second.worker.counters.snapshot.assigned.count) < 4
            && Date() < deadline
        {
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTAssertEqual(
            Set(first.worker.counters.snapshot.assigned).intersection(second.worker.counters.snapshot.assigned), [],
            "a partition must belong to one member")
        let texts = try tweets(400)
        try produce(texts.enumerated().map { event(id: "e-\($0.offset)", text: $0.element) })
        let out = try readTopic("features", timeout: 120) { try! distinctIDs($0).ids.count >= texts.count }
        let (ids, duplicates) = try distinctIDs(out)
        XCTAssertEqual(ids.count, texts.count)
        XCTAssertEqual(duplicates, 0)
        XCTAssertGreaterThan(first.worker.counters.snapshot.processed, 0, "the first worker did its share")
        XCTAssertGreaterThan(second.worker.counters.snapshot.processed, 0, "the second worker did its share")
        XCTAssertEqual(
            first.worker.counters.snapshot.processed + second.worker.counters.snapshot.processed, texts.count)
    }
}
