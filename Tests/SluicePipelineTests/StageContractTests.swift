import SluiceEvents
import SluicePipeline
import SluiceWorkflow
import XCTest

/// A stage written outside Sluice may break its contract; the worker must not.
final class StageContractTests: XCTestCase {
    /// Returns one result too few: its results cannot be matched to the events.
    struct ShortStage: Stage {
        var requirement: StageRequirement { .text }
        func process(_ batch: [Envelope]) -> [Result<Envelope, StageError>] { batch.dropLast().map { .success($0) } }
    }

    func testAStageReturningTheWrongResultCountDeadLettersTheWholeBatch() throws {
        let workflow = try Workflow.parse(
            """
            workflow: w
            topics: { in: {partitions: 1}, out: {partitions: 1}, dlq: {partitions: 1} }
            input: in
            output: out
            dead_letter: dlq
            stages: [ { name: s, task: passthrough, input: in, output: out } ]
            """)
        let processor = BatchProcessor(
            workflow: workflow, stage: workflow.stages[0], step: ShortStage(), worker: "host:1")
        let records = (0..<3).map {
            InputRecord(
                topic: "in", partition: 0, offset: Int64($0), key: nil, value: Array(#"{"text": "t\#($0)"}"#.utf8),
                headers: [], timestampMicros: 1)
        }
        let outcomes = processor.run(records, consumedAt: 1)
        XCTAssertEqual(outcomes.count, 3, "one outcome per record, whatever the stage returned")
        for outcome in outcomes {
            guard case .deadLetter(_, _, let headers, let reason) = outcome else { return XCTFail("\(outcome)") }
            XCTAssertEqual(reason, "stage-error")
            let detail = headers.first { $0.key == DeadLetterHeaders.detail }.map {
                String(decoding: $0.value, as: UTF8.self)
            }
            XCTAssertEqual(detail, "stage 's' returned 2 results for a batch of 3 events")
        }
    }
}
