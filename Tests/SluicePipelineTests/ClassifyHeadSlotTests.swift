import Foundation
import SluiceEvents
import SluiceJSON
import SluiceKafka
import SluiceML
import SluicePipeline
import SluiceRegistry
import SluiceWorkflow
import XCTest

/// The head slot of a classify stage with a head, without a broker: versions and
/// canaries on the `label` result, and a head with another label set refused.
final class ClassifyHeadSlotTests: XCTestCase {
    /// A softmax head over `labels` for 4-d embeddings; `lean` raises one label's bias.
    func head(version: String, labels: [String], lean: Int? = nil) throws -> HeadFile {
        func encode(_ values: [Float]) -> JSONValue {
            var data = Data()
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            return .string(data.base64EncodedString())
        }
        // weight[i][j] = 1 when i == j: the label is the largest of the first coordinates.
        let weights = (0..<4).flatMap { i in labels.indices.map { j in Float(i == j ? 1 : 0) } }
        let bias = labels.indices.map { Float($0 == lean ? 5 : 0) }
        let root: JSONValue = .object([
            "format": .string("sluice-head/1"), "version": .string(version), "kind": .string("softmax"),
            "labels": .array(labels.map { .string($0) }), "input_dimension": .int(4), "hidden_size": .int(0),
            "model": .string("fake@1"),
            "weights": .object([
                "weight": .object(["shape": .array([.int(4), .int(Int64(labels.count))]), "data": encode(weights)]),
                "bias": .object(["shape": .array([.int(Int64(labels.count))]), "data": encode(bias)]),
            ]),
        ])
        return try HeadFile.parse(root)
    }

    func testClassifyHeadRecordsVersionAndCanaryAndKeepsItsLabelSet() throws {
        let labels = ["a", "b", "c"]
        let stage = ClassifyStage(head: try head(version: "h1", labels: labels))
        let slot = try XCTUnwrap(stage.headSlot)
        XCTAssertEqual(stage.headVersion, "h1")
        XCTAssertThrowsError(try slot.validate(try head(version: "h9", labels: ["a", "b", "z"]))) {
            XCTAssertTrue("\($0)".contains("keep the label set"), "\($0)")
        }
        // Same labels in another order are fine: outputs are mapped by name.
        let canary = try head(version: "h2", labels: ["c", "b", "a"], lean: 0)  // always says "c"
        XCTAssertNoThrow(try slot.validate(canary))
        slot.install(HeadSlot.Heads(active: slot.current.active, canary: canary, fraction: 0.5))
        XCTAssertEqual(stage.headVersion, "h1", "a canary does not change the active version")

        let events = (0..<200).map { i in
            Envelope(
                id: "x\(i)", createdAt: 0, text: "",
                embedding: [i % 3 == 0 ? 1 : 0, i % 3 == 1 ? 1 : 0, i % 3 == 2 ? 1 : 0, 0])
        }
        let results = stage.process(events).map { try? $0.get() }
        var canaried = 0
        for (event, result) in zip(events, results) {
            let label = try XCTUnwrap(result?.results["label"])
            XCTAssertEqual(label["head_version"]?.stringValue, "h1")
            XCTAssertEqual(label["name"]?.stringValue, labels[Int(event.id.dropFirst())! % 3])
            XCTAssertEqual(label["canary"] != nil, ModelControl.inCanary(eventID: event.id, fraction: 0.5), event.id)
            guard let c = label["canary"] else { continue }
            canaried += 1
            XCTAssertEqual(c["head_version"]?.stringValue, "h2")
            XCTAssertEqual(c["label"]?.stringValue, "c")
            XCTAssertEqual(c["agrees"]?.boolValue, label["name"]?.stringValue == "c")
        }
        XCTAssertEqual(Double(canaried) / 200, 0.5, accuracy: 0.1)

        slot.install(HeadSlot.Heads(active: canary))
        XCTAssertEqual(stage.headVersion, "h2")
        let after = try XCTUnwrap(try stage.process([events[0]]).first?.get().results["label"])
        XCTAssertEqual(after["head_version"]?.stringValue, "h2")
        XCTAssertEqual(after["name"]?.stringValue, "c")
        XCTAssertNil(after["canary"])
    }
}
