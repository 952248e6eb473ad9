import Foundation
import SluiceML
import XCTest

/// The accuracy budget of each reduced precision, against the published embeddings
/// (Fixtures/minilm-golden.jsonl) and downstream against fp32 on the same inputs:
/// int8 worst cosine >= 0.99 and mean >= 0.995 over all 61 rows, bf16 worst >= 0.999;
/// int8 keeps the committed sentiment head's macro-F1 within 0.005 of fp32 and the
/// zero-shot topic accuracy within 0.01. docs/models.md gives the figures.
final class MiniLMPrecisionTests: XCTestCase {
    static func encoder(_ precision: Precision, bf16Kernel: BF16Kernel? = nil) throws -> MiniLMEncoder {
        guard let dir = Shared.modelDirectory else { throw XCTSkip("model not set up (make setup)") }
        return try MiniLMEncoder(
            modelDirectory: dir, options: EncoderOptions(precision: precision, bf16Kernel: bf16Kernel))
    }

    static let int8 = Result { try encoder(.int8) }

    /// (worst, mean) cosine of the encoder's embeddings to the golden ones, in one batch.
    func goldenCosines(_ encoder: MiniLMEncoder) throws -> (worst: Double, mean: Double) {
        let golden = try Shared.golden()
        XCTAssertEqual(golden.count, 61, "golden file at \(Shared.goldenPath)")
        let got = try encoder.embed(golden.map(\.text))
        let cosines = zip(golden, got).map { Shared.cosine($1, $0.embedding) }
        return (cosines.min() ?? 0, cosines.reduce(0, +) / Double(max(cosines.count, 1)))
    }

    func testInt8MeetsItsBudgetOnTheGoldenRows() throws {
        let encoder = try Self.int8.get()
        XCTAssertEqual(encoder.precision.precision, .int8)
        let (worst, mean) = try goldenCosines(encoder)
        print("int8 [\(encoder.precision)] on golden rows: worst cosine \(worst), mean \(mean)")
        XCTAssertGreaterThanOrEqual(worst, 0.99)
        XCTAssertGreaterThanOrEqual(mean, 0.995)
    }

    /// Both bf16 numerics: the kernel this CPU runs, and the dot kernels' (emulated when the
    /// CPU has no AVX-512 BF16, so the budget of that precision is checked on every CPU).
    func testBF16MeetsItsBudgetOnTheGoldenRows() throws {
        var kernels: [BF16Kernel] = [.best]
        if BF16Kernel.best != .avx512Dot { kernels.append(.emulatedDotAVX2) }
        for kernel in kernels {
            let encoder = try Self.encoder(.bf16, bf16Kernel: kernel)
            XCTAssertEqual(encoder.precision.bf16Kernel, kernel)
            let (worst, mean) = try goldenCosines(encoder)
            print("bf16 [\(kernel)] on golden rows: worst cosine \(worst), mean \(mean)")
            XCTAssertGreaterThanOrEqual(worst, 0.999, "\(kernel)")
        }
    }

    /// Quantization is per token row, so a text's embedding does not depend on the batch it came in.
    func testInt8BatchEqualsSingle() throws {
        let encoder = try Self.int8.get()
        let texts = try Shared.golden().prefix(12).map(\.text)
        let batch = try encoder.embed(texts)
        for (i, text) in texts.enumerated() {
            XCTAssertEqual(try encoder.embed([text])[0], batch[i], "\(text.prefix(60))")
        }
    }

    func testInt8KeepsTheSentimentHeadsMacroF1() throws {
        let fp32 = try RealModel.requireEncoder()
        let int8 = try Self.int8.get()
        let corpusPath = try RealModel.requireCorpus()
        let (rows, _) = try TweetCorpus.load(path: corpusPath)
        let dataset = try LabelledDataset(
            rows: rows.map { ($0.text, $0.label, Float($0.confidence)) }, labels: SentimentScorer.labels)
        let texts = dataset.test.map(\.text)
        let sha = ContentDigest.sha256Hex([UInt8](FileManager.default.contents(atPath: corpusPath)!))
        let reference = try CachedEmbedding.embed(
            texts, with: fp32, cache: RealModel.cache(for: fp32, corpusSHA256: sha))
        let started = Date()
        let quantized = try int8.embed(texts)  // not cached: the cache holds fp32 embeddings
        let file = try HeadFile.load(RealModel.path("models/sentiment-head.json"), for: fp32)
        let scorer = try SentimentScorer(embedder: fp32, headFile: file)
        func macroF1(_ embeddings: [[Float]]) -> Double {
            let scores = scorer.score(embeddings: embeddings)
            return ClassificationMetrics(
                probabilities: scores.map { [$0.negative, $0.neutral, $0.positive] },
                actual: dataset.test.map(\.label), classCount: 3
            ).macroF1
        }
        let (f32, f8) = (macroF1(reference), macroF1(quantized))
        print(
            String(
                format:
                    "sentiment head on the %d-text test split: macro-F1 fp32 %.4f, int8 %.4f (%+.4f); int8 embedded in %.1f s",
                texts.count, f32, f8, f8 - f32, Date().timeIntervalSince(started)))
        XCTAssertEqual(f8, f32, accuracy: 0.005)
    }

    func testInt8KeepsZeroShotTopicAccuracy() throws {
        let fp32 = try RealModel.requireEncoder()
        let int8 = try Self.int8.get()
        let set = try LabelSet.load(RealModel.path("models/topic-labels.json"))
        let rows = try TextLabelCSV.load(RealModel.path("Tests/SluiceMLTests/Fixtures/topics-eval.csv"))
        func accuracy(_ encoder: MiniLMEncoder) throws -> Double {
            let classifier = try ZeroShotClassifier(embedder: encoder, labels: set.labels, temperature: set.temperature)
            let probs = try classifier.classify(rows.map(\.text))
            let hits = zip(rows, probs).filter { row, p in
                classifier.labels[p.indices.max { p[$0] < p[$1] }!] == row.label
            }
            return Double(hits.count) / Double(rows.count)
        }
        let (a32, a8) = (try accuracy(fp32), try accuracy(int8))
        print(String(format: "zero-shot topics on %d posts: fp32 %.4f, int8 %.4f", rows.count, a32, a8))
        XCTAssertEqual(a8, a32, accuracy: 0.01)
    }
}
