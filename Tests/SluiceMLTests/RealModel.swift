import Foundation
import SluiceML
import XCTest

/// The real encoder, corpus and committed files for the tests that need them; each test
/// skips (saying why) when `make setup` has not put the model or corpus in place.
enum RealModel {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static let encoder: MiniLMEncoder? = {
        let dir = path(".deps/model")
        guard FileManager.default.fileExists(atPath: dir) else { return nil }
        return try? MiniLMEncoder(modelDirectory: dir)
    }()

    static func requireEncoder() throws -> MiniLMEncoder {
        guard let encoder else { throw XCTSkip("no model at .deps/model; run `make setup`") }
        return encoder
    }

    static func requireCorpus() throws -> String {
        let p = path(".deps/corpus/tweets.csv")
        guard FileManager.default.fileExists(atPath: p) else { throw XCTSkip("no corpus at \(p); run `make setup`") }
        return p
    }

    /// The same cache `sluice train sentiment` uses by default, so a training run warms it.
    static func cache(for encoder: MiniLMEncoder, corpusSHA256: String) throws -> EmbeddingCache {
        try EmbeddingCache(
            directory: path(".deps/cache"), modelID: encoder.modelID, corpusSHA256: corpusSHA256,
            dimension: encoder.dimension)
    }
}
