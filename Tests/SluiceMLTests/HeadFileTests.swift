import Foundation
import SluiceJSON
import SluiceML
import XCTest

final class HeadFileTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "heads-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    func trainedMLP(dimension: Int = 32) -> any ClassificationHead {
        let train = syntheticBlobs(count: 300, dimension: dimension, classes: 3, seed: 1)
        var s = TrainingSettings()
        s.hiddenSize = 8
        s.maxEpochs = 3
        return HeadTrainer.train(
            train: DenseRows(train.rows, dimension: dimension), labels: train.labels,
            validation: DenseRows(train.rows, dimension: dimension), validationLabels: train.labels,
            classCount: 3, settings: s
        ).head
    }

    func testRoundTripKeepsWeightsLabelsAndMetrics() throws {
        let head = trainedMLP()
        let metrics = ClassificationMetrics(confusion: [[5, 1, 0], [0, 4, 2], [1, 0, 6]])
        let file = HeadFile(
            version: "2026.11.29", head: head, labels: ["negative", "neutral", "positive"], model: "fake-words@1",
            corpusSHA256: "abc", metrics: metrics, training: ["seed": .string("42")])
        let path = directory + "/head.json"
        try file.save(to: path)
        let loaded = try HeadFile.load(path)
        XCTAssertEqual(loaded.head as? MLPHead, head as? MLPHead)
        XCTAssertEqual(loaded.labels, ["negative", "neutral", "positive"])
        XCTAssertEqual(loaded.version, "2026.11.29")
        XCTAssertEqual(loaded.metrics, metrics)
        XCTAssertEqual(loaded.training["seed"], .string("42"))
        let x = syntheticBlobs(count: 5, dimension: 32, classes: 3, seed: 9).rows
        XCTAssertEqual(loaded.head.predict(x), head.predict(x))

        let json = try JSONValue.parse(String(contentsOfFile: path, encoding: .utf8))
        XCTAssertEqual(json["format"]?.stringValue, "sluice-head/1")
        XCTAssertEqual(json["hidden_size"]?.intValue, 8)
        XCTAssertEqual(json["input_dimension"]?.intValue, 32)
    }

    func testSoftmaxHeadRoundTrip() throws {
        let head = SoftmaxRegressionHead(inputDimension: 4, classCount: 2, seed: 3)
        let path = directory + "/soft.json"
        try HeadFile(version: "1.0.0", head: head, labels: ["a", "b"], model: "m", corpusSHA256: "", metrics: nil).save(
            to: path)
        XCTAssertEqual(try HeadFile.load(path).head as? SoftmaxRegressionHead, head)
    }

    func testHeadForAnotherModelIsRefusedNamingBothModels() throws {
        let path = directory + "/head.json"
        try HeadFile(
            version: "1", head: trainedMLP(), labels: ["negative", "neutral", "positive"],
            model: "all-MiniLM-L6-v2@abc",
            corpusSHA256: "", metrics: nil
        ).save(to: path)
        let other = FakeEmbedder(modelID: "some-other-model@1")
        XCTAssertThrowsError(try HeadFile.load(path, for: other)) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.contains("all-MiniLM-L6-v2@abc"), message)
            XCTAssertTrue(message.contains("some-other-model@1"), message)
        }
        XCTAssertThrowsError(try SentimentScorer(embedder: other, headPath: path))
        XCTAssertNoThrow(try HeadFile.load(path, for: FakeEmbedder(modelID: "all-MiniLM-L6-v2@abc")))
    }

    func testCorruptTruncatedAndInconsistentFilesAreRefused() throws {
        let path = directory + "/head.json"
        try HeadFile(
            version: "1", head: trainedMLP(), labels: ["a", "b", "c"], model: "m", corpusSHA256: "", metrics: nil
        ).save(to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)

        func refused(_ content: String, mentioning: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let p = directory + "/bad.json"
            try content.write(toFile: p, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try HeadFile.load(p), file: file, line: line) { error in
                XCTAssertTrue(String(describing: error).contains(mentioning), "\(error)", file: file, line: line)
            }
        }
        try refused(String(text.prefix(text.count / 2)), mentioning: "corrupt or truncated")
        try refused("", mentioning: "corrupt or truncated")
        try refused(
            text.replacingOccurrences(of: "sluice-head/1", with: "sluice-head/9"), mentioning: "unsupported format")
        try refused(
            text.replacingOccurrences(of: "\"input_dimension\":32", with: "\"input_dimension\":31"), mentioning: "shape"
        )
        try refused(text.replacingOccurrences(of: "[\"a\",\"b\",\"c\"]", with: "[\"a\",\"b\"]"), mentioning: "shape")
        try refused(text.replacingOccurrences(of: "[\"a\",\"b\",\"c\"]", with: "[]"), mentioning: "labels")
        // Cut a weight tensor's base64 short (still valid JSON): the byte count is checked.
        var json = try JSONValue.parse(text)
        if case .object(var root) = json, case .object(var weights)? = root["weights"],
            case .object(var bias)? = weights["output.bias"]
        {
            bias["data"] = .string("AAAAAA==")
            weights["output.bias"] = .object(bias)
            root["weights"] = .object(weights)
            json = .object(root)
        }
        try refused(json.serialized(), mentioning: "expected 12")
        XCTAssertThrowsError(try HeadFile.load(directory + "/missing.json"))
    }

    func testSentimentScoreIsPositiveMinusNegativeWithinRange() throws {
        let embedder = FakeEmbedder()
        let head = trainedMLP()
        // Labels deliberately not in the scorer's order, to check the mapping.
        let file = HeadFile(
            version: "1", head: head, labels: ["positive", "negative", "neutral"], model: embedder.modelID,
            corpusSHA256: "", metrics: nil)
        let scorer = try SentimentScorer(embedder: embedder, headFile: file)
        let texts = ["great day", "awful service", "the bus is at nine", "meh"]
        let scores = try scorer.score(texts)
        let probs = head.predict(try embedder.embed(texts))
        for (s, p) in zip(scores, probs) {
            XCTAssertEqual(s.positive, p[0])
            XCTAssertEqual(s.negative, p[1])
            XCTAssertEqual(s.neutral, p[2])
            XCTAssertEqual(s.score, p[0] - p[1])
            XCTAssertTrue((-1...1).contains(s.score))
            XCTAssertEqual(s.negative + s.neutral + s.positive, 1, accuracy: 1e-5)
        }
        let wrongLabels = HeadFile(
            version: "1", head: head, labels: ["a", "b", "c"], model: embedder.modelID, corpusSHA256: "", metrics: nil)
        XCTAssertThrowsError(try SentimentScorer(embedder: embedder, headFile: wrongLabels))
    }
}
