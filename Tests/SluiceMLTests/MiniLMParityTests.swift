import Foundation
import SluiceML
import XCTest

/// The encoder against sentence-transformers' outputs saved in
/// Fixtures/minilm-golden.jsonl: identical input ids, cosine >= 0.9999.
final class MiniLMParityTests: XCTestCase {
    func encoderAndGolden() throws -> (MiniLMEncoder, [Shared.GoldenRow]) {
        guard let encoder = Shared.encoder else { throw XCTSkip("model not set up (make setup)") }
        let golden = try Shared.golden()
        XCTAssertEqual(golden.count, 61, "golden file at \(Shared.goldenPath)")
        return (encoder, golden)
    }

    func testInputIdsMatchReferenceTokenizer() throws {
        let (encoder, golden) = try encoderAndGolden()
        var mismatches = 0
        for row in golden where encoder.tokenize(row.text) != row.ids {
            mismatches += 1
            XCTFail(
                "ids differ for \(row.text.debugDescription.prefix(80)): got \(encoder.tokenize(row.text).prefix(20)), want \(row.ids.prefix(20))"
            )
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testEmbeddingsMatchReferenceInOneBatch() throws {
        let (encoder, golden) = try encoderAndGolden()
        let got = try encoder.embed(golden.map(\.text))
        var worst = 1.0
        for (row, e) in zip(golden, got) {
            let cos = Shared.cosine(e, row.embedding)
            worst = min(worst, cos)
            XCTAssertGreaterThanOrEqual(cos, 0.9999, "batch: \(row.text.prefix(60))")
        }
        print("parity (one batch of \(golden.count)): worst cosine \(worst)")
    }

    func testEmbeddingsMatchReferenceOneAtATime() throws {
        let (encoder, golden) = try encoderAndGolden()
        var worst = 1.0
        for row in golden {
            let e = try encoder.embed([row.text])[0]
            XCTAssertEqual(e.count, 384)
            let cos = Shared.cosine(e, row.embedding)
            worst = min(worst, cos)
            XCTAssertGreaterThanOrEqual(cos, 0.9999, "single: \(row.text.prefix(60))")
        }
        print("parity (one text at a time): worst cosine \(worst)")
    }

    func testBatchEqualsSingle() throws {
        let (encoder, golden) = try encoderAndGolden()
        let texts = golden.map(\.text)
        let batch = try encoder.embed(texts)
        for (i, t) in texts.enumerated() {
            let single = try encoder.embed([t])[0]
            XCTAssertGreaterThanOrEqual(Shared.cosine(single, batch[i]), 0.99999, t)
        }
    }
}
