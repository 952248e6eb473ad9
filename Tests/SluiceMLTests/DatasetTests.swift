import Foundation
import SluiceML
import XCTest

final class DatasetTests: XCTestCase {
    func rows(_ n: Int) -> [(text: String, label: String, confidence: Float)] {
        (0..<n).map { i in ("text number \(i)", ["negative", "neutral", "positive"][i % 3], 1) }
    }

    func testSplitIsStratifiedDeterministicAndDisjoint() throws {
        let labels = ["negative", "neutral", "positive"]
        let a = try LabelledDataset(rows: rows(3000), labels: labels)
        let b = try LabelledDataset(rows: rows(3000).reversed(), labels: labels)
        XCTAssertEqual(a.train.count, 2400)
        XCTAssertEqual(a.validation.count, 300)
        XCTAssertEqual(a.test.count, 300)
        for label in 0..<3 { XCTAssertEqual(a.test.filter { $0.label == label }.count, 100) }
        XCTAssertEqual(Set(a.test.map(\.text)), Set(b.test.map(\.text)), "split must not depend on row order")
        XCTAssertTrue(Set(a.train.map(\.text)).isDisjoint(with: a.test.map(\.text)))
        XCTAssertTrue(Set(a.validation.map(\.text)).isDisjoint(with: a.test.map(\.text)))
    }

    func testDeduplicatesNormalisedTextKeepingTheMostConfidentLabel() throws {
        let data = try LabelledDataset(
            rows: [("Hello  World", "negative", 0.4), ("hello world ", "positive", 0.9), ("other", "neutral", 1)],
            labels: ["negative", "neutral", "positive"])
        let all = data.train + data.validation + data.test
        XCTAssertEqual(all.count, 2)
        XCTAssertEqual(data.duplicates, 1)
        XCTAssertEqual(data.conflicts, 1)
        XCTAssertEqual(all.first { $0.text.lowercased().contains("hello") }?.label, 2)
    }

    func testUnknownLabelIsAnError() {
        XCTAssertThrowsError(try LabelledDataset(rows: [("x", "angry", 1)], labels: ["negative", "positive"]))
    }

    func testBagOfWordsTokensAndUnitRows() {
        XCTAssertEqual(
            BagOfWords.tokenize("I can't BELIEVE it!! #fail @bob 2day"),
            ["i", "can't", "believe", "it", "#fail", "@bob", "2day"])
        let bow = BagOfWords(fitting: ["good good day", "bad day", "good night"], minCount: 2)
        XCTAssertEqual(Set(bow.vocabulary.keys), ["good", "day"])
        let rows = bow.features(["good day", "nothing known"])
        XCTAssertEqual(rows.rows[0].reduce(0) { $0 + $1.value * $1.value }, 1, accuracy: 1e-5)
        XCTAssertTrue(rows.rows[1].isEmpty)
    }

    func testEmbeddingCacheRoundTripAndTornTail() throws {
        let dir = NSTemporaryDirectory() + "cache-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let embedder = FakeEmbedder(dimension: 8)
        let cache = try EmbeddingCache(
            directory: dir, modelID: embedder.modelID, corpusSHA256: "deadbeef", dimension: 8)
        XCTAssertTrue(cache.path.hasSuffix("embeddings-fake-words_1-deadbeef.bin"))
        let texts = ["a b", "c", "a b", "d e f"]
        let direct = try embedder.embed(texts)
        XCTAssertEqual(try CachedEmbedding.embed(texts, with: embedder, cache: cache), direct)
        XCTAssertEqual(cache.count, 3)
        // Append a partial record, as if a run was killed mid-write; reopening ignores it.
        let handle = FileHandle(forWritingAtPath: cache.path)!
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([1, 2, 3]))
        try handle.close()
        let reopened = try EmbeddingCache(
            directory: dir, modelID: embedder.modelID, corpusSHA256: "deadbeef", dimension: 8)
        XCTAssertEqual(reopened.count, 3)
        XCTAssertEqual(reopened.lookup("d e f"), direct[3])
        final class Refusing: SentenceEmbedder {
            let dimension = 8
            let modelID = "fake-words@1"
            func embed(_ texts: [String]) throws -> [[Float]] { throw ZeroShotError("should have come from the cache") }
        }
        XCTAssertEqual(try CachedEmbedding.embed(["c"], with: Refusing(), cache: reopened), [direct[1]])
    }
}
