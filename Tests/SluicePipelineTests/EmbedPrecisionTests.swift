import Foundation
import SluiceEvents
import SluiceML
import SluicePipeline
import SluiceTesting
import SluiceWorkflow
import XCTest

/// An embed stage runs in the precision its workflow file names, says which in its
/// registry figure, and gives the engine's own embeddings in that precision.
final class EmbedPrecisionTests: XCTestCase {
    func testEmbedStageRunsThePrecisionItsSpecNames() throws {
        let workflow = try Workflow.load(
            path: PackagePaths.root.appendingPathComponent("topics/sentiment-monitoring.yaml").path)
        var spec = try XCTUnwrap(workflow.stages.first { $0.task == .embed })
        let texts = ["@united delayed again at ORD", "new phone, same battery life", "what a match last night"]
        let batch = texts.enumerated().map { Envelope(id: "e\($0.offset)", createdAt: 0, text: $0.element) }

        spec.precision = nil
        let fp32 = try StageFactory.make(spec, workflow: workflow)
        XCTAssertTrue(fp32.precision?.hasPrefix("fp32") ?? false, "\(fp32.precision ?? "nil")")

        spec.precision = "int8"
        let int8 = try StageFactory.make(spec, workflow: workflow)
        XCTAssertTrue(int8.precision?.hasPrefix("int8 (") ?? false, "\(int8.precision ?? "nil")")
        let got = try int8.process(batch).map { try XCTUnwrap($0.get().embedding) }
        let engine = try MiniLMEncoder(options: EncoderOptions(precision: .int8)).embed(texts)
        XCTAssertEqual(got, engine, "the stage's int8 embeddings are the engine's own")
        let reference = try fp32.process(batch).map { try XCTUnwrap($0.get().embedding) }
        for (a, b) in zip(got, reference) {
            XCTAssertGreaterThan(zip(a, b).reduce(Float(0)) { $0 + $1.0 * $1.1 }, 0.99)
        }
    }
}
