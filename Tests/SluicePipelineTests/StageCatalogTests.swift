import SluiceEvents
import SluicePipeline
import SluiceWorkflow
import XCTest

/// The catalog a stage package hands its worker: task names to factories.
final class StageCatalogTests: XCTestCase {
    struct Upper: Stage {
        var requirement: StageRequirement { .text }
        func process(_ batch: [Envelope]) -> [Result<Envelope, StageError>] {
            batch.map { event in
                var event = event
                event.text = event.text.uppercased()
                return .success(event)
            }
        }
    }

    let yaml = """
        workflow: w
        topics: { a: {partitions: 1}, b: {partitions: 1}, dlq: {partitions: 1} }
        input: a
        output: b
        dead_letter: dlq
        stages:
          - { name: shout, task: upper, input: a, output: b }
        """

    func testARegisteredTaskLoadsAndBuildsItsStage() throws {
        var catalog = StageCatalog.builtIn
        try catalog.register(StageTask("upper")) { context in
            XCTAssertEqual(context.spec.name, "shout", "the factory gets the stage's declaration")
            return Upper()
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString).yaml")
            .path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let workflow = try catalog.loadWorkflow(path: path)
        let step = try catalog.makeStage(for: workflow.stages[0], in: workflow)
        let result = step.process([Envelope(id: "1", createdAt: 0, text: "hi")])
        XCTAssertEqual(try result[0].get().text, "HI")
    }

    func testTakenAndMalformedNamesAreRefused() throws {
        var catalog = StageCatalog.builtIn
        for name in ["embed", "Upper", "", "9lives", "two words"] {
            XCTAssertThrowsError(try catalog.register(StageTask(name)) { _ in Upper() }, "'\(name)'")
        }
        try catalog.register(StageTask("upper")) { _ in Upper() }
        XCTAssertThrowsError(try catalog.register(StageTask("upper")) { _ in Upper() }) {
            XCTAssertTrue("\($0)".contains("already registered"), "\($0)")
        }
        XCTAssertEqual(catalog.tasks.map(\.rawValue), ["embed", "classify", "sentiment", "passthrough", "upper"])
    }

    /// A workflow parsed with more tasks than the catalog has: the error names the catalog's.
    func testAStageOfAnUnregisteredTaskNamesTheCatalogsTasks() throws {
        let workflow = try Workflow.parse(yaml, tasks: [StageTask("upper")])
        XCTAssertThrowsError(try StageCatalog.builtIn.makeStage(for: workflow.stages[0], in: workflow)) {
            XCTAssertTrue("\($0)".contains("task 'upper' is not registered; the catalog has embed, classify"), "\($0)")
        }
    }
}
