import Foundation
import SluiceML
import XCTest

final class CommittedHeadTests: XCTestCase {
    /// models/sentiment-head.json loads for the real encoder and, re-scored on the test
    /// split rebuilt from the corpus, reproduces the macro-F1 recorded in it (±0.01).
    func testCommittedSentimentHeadReproducesItsRecordedTestMetrics() throws {
        let encoder = try RealModel.requireEncoder()
        let corpusPath = try RealModel.requireCorpus()
        let file = try HeadFile.load(RealModel.path("models/sentiment-head.json"), for: encoder)
        let recorded = try XCTUnwrap(file.metrics, "the committed head records its test metrics")
        XCTAssertEqual(file.labels, SentimentScorer.labels)
        XCTAssertEqual(file.metricsSplit, "test")

        let sha = ContentDigest.sha256Hex([UInt8](FileManager.default.contents(atPath: corpusPath)!))
        XCTAssertEqual(file.corpusSHA256, sha, "the head was trained on this corpus")
        let (rows, _) = try TweetCorpus.load(path: corpusPath)
        let dataset = try LabelledDataset(
            rows: rows.map { ($0.text, $0.label, Float($0.confidence)) }, labels: SentimentScorer.labels)
        XCTAssertEqual(dataset.test.count, recorded.count)

        let cache = try RealModel.cache(for: encoder, corpusSHA256: sha)
        let embeddings = try CachedEmbedding.embed(dataset.test.map(\.text), with: encoder, cache: cache)
        let scorer = try SentimentScorer(embedder: encoder, headFile: file)
        let scores = scorer.score(embeddings: embeddings)
        let metrics = ClassificationMetrics(
            probabilities: scores.map { [$0.negative, $0.neutral, $0.positive] }, actual: dataset.test.map(\.label),
            classCount: 3)
        print(
            String(
                format: "committed head on test split: accuracy %.4f, macro-F1 %.4f (recorded %.4f)",
                metrics.accuracy, metrics.macroF1, recorded.macroF1))
        XCTAssertEqual(metrics.macroF1, recorded.macroF1, accuracy: 0.01)
        XCTAssertGreaterThanOrEqual(recorded.macroF1, 0.76)
        for s in scores {
            XCTAssertTrue((-1...1).contains(s.score))
            XCTAssertEqual(s.score, s.positive - s.negative)
        }
    }

    /// A quick run on 1,500 training texts goes end to end and beats the majority class.
    func testTrainingOnASmallSubsetBeatsTheMajorityClass() throws {
        let encoder = try RealModel.requireEncoder()
        let corpusPath = try RealModel.requireCorpus()
        let sha = ContentDigest.sha256Hex([UInt8](FileManager.default.contents(atPath: corpusPath)!))
        let (rows, _) = try TweetCorpus.load(path: corpusPath)
        let dataset = try LabelledDataset(
            rows: rows.map { ($0.text, $0.label, Float($0.confidence)) }, labels: SentimentScorer.labels, subset: 1_875)
        XCTAssertEqual(dataset.train.count, 1_500, accuracy: 3)
        var options = ClassifierTraining.Options()
        options.head.hiddenSize = 64
        options.head.maxEpochs = 30
        let outcome = try ClassifierTraining.run(
            dataset: dataset, embedder: encoder, cache: try RealModel.cache(for: encoder, corpusSHA256: sha),
            options: options, version: "test", corpusSHA256: sha)
        print(outcome.formattedTable())
        let head = outcome.table[0].metrics
        let majority = try XCTUnwrap(outcome.table.last { $0.name.hasPrefix("majority") }).metrics
        XCTAssertGreaterThan(head.accuracy, majority.accuracy + 0.1)
        XCTAssertGreaterThan(head.macroF1, majority.macroF1 + 0.2)
        XCTAssertEqual(outcome.headFile.model, encoder.modelID)
    }
}
