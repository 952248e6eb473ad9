import SluiceWorkflow
import XCTest

/// Task names beyond the built-in ones: accepted only when the caller says so,
/// and an unknown one still fails, listing the tasks the caller knows.
final class StageTaskTests: XCTestCase {
    let yaml = """
        workflow: w
        topics: { a: {partitions: 1}, b: {partitions: 1}, dlq: {partitions: 1} }
        input: a
        output: b
        dead_letter: dlq
        stages:
          - { name: terms, task: keywords, input: a, output: b }
        """

    func testAnAddedTaskIsParsedAsThatTask() throws {
        let keywords = StageTask("keywords")
        let workflow = try Workflow.parse(yaml, tasks: StageTask.builtIn + [keywords])
        XCTAssertEqual(workflow.stages.map(\.task), [keywords])
        XCTAssertFalse(workflow.stages[0].task.needsEmbedding)
    }

    func testAnUnknownTaskNamesEveryKnownOne() {
        XCTAssertThrowsError(
            try Workflow.parse(yaml, file: "w.yaml", tasks: StageTask.builtIn + [StageTask("summary")])
        ) {
            let message = "\($0)"
            XCTAssertTrue(message.contains("unknown task 'keywords'"), message)
            XCTAssertTrue(
                message.contains("expected one of: embed, classify, sentiment, passthrough, summary"), message)
        }
    }

    func testTheBuiltInTasksAloneRejectIt() {
        XCTAssertThrowsError(try Workflow.parse(yaml)) {
            XCTAssertTrue("\($0)".contains("expected one of: embed, classify, sentiment, passthrough"), "\($0)")
        }
    }

    /// An added task that reads embeddings gets the same check as `classify`.
    func testAnAddedTaskThatNeedsAnEmbeddingNeedsAnEmbedStageFirst() {
        XCTAssertThrowsError(try Workflow.parse(yaml, tasks: [StageTask("keywords", needsEmbedding: true)])) {
            XCTAssertTrue("\($0)".contains("needs an embedding"), "\($0)")
        }
    }
}
