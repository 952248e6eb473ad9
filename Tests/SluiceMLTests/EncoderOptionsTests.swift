import Foundation
import SluiceML
import XCTest

/// `EncoderOptions` only choose how the encoder spreads its work: every setting gives
/// the default encoder's embeddings (up to float rounding), alone and in batches.
final class EncoderOptionsTests: XCTestCase {
    func testEverySettingGivesTheSameEmbeddings() throws {
        guard let reference = Shared.encoder, let dir = Shared.modelDirectory else {
            throw XCTSkip("model not set up (make setup)")
        }
        let texts = try Shared.golden().prefix(12).map(\.text)
        XCTAssertFalse(texts.isEmpty, "golden file at \(Shared.goldenPath)")
        let want = try reference.embed(texts)
        let settings = [
            EncoderOptions(splitSingleText: false),
            EncoderOptions(helperThread: false),
            EncoderOptions(packedMaxRows: 0),
            EncoderOptions(packedMaxRows: 100_000),
        ]
        for options in settings {
            let encoder = try MiniLMEncoder(modelDirectory: dir, options: options)
            XCTAssertEqual(encoder.options, options)
            let batch = try encoder.embed(texts)
            for (i, text) in texts.enumerated() {
                let alone = try encoder.embed([text])[0]
                XCTAssertGreaterThanOrEqual(
                    Shared.cosine(alone, want[i]), 0.99999, "\(options) alone: \(text.prefix(40))")
                XCTAssertGreaterThanOrEqual(
                    Shared.cosine(batch[i], want[i]), 0.99999, "\(options) batch: \(text.prefix(40))")
            }
        }
    }
}
