import Foundation
import SluiceML
import XCTest

/// `CachedEmbedding.embed` reports progress through its callback (the library draws
/// nothing itself): counts of texts not cached, from 0 up to their total.
final class EmbeddingProgressTests: XCTestCase {
    func testProgressCountsDistinctUncachedTextsUpToTheirTotal() throws {
        let dir = NSTemporaryDirectory() + "progress-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let embedder = FakeEmbedder(dimension: 8)
        let cache = try EmbeddingCache(directory: dir, modelID: embedder.modelID, corpusSHA256: "cafe", dimension: 8)
        _ = try CachedEmbedding.embed(["w0", "w1", "w2"], with: embedder, cache: cache)  // cached before
        let texts = (0..<11).map { "w\($0)" } + ["w4", "w5"]  // 8 not cached, 2 repeated
        var reports: [EmbeddingProgress] = []
        let vectors = try CachedEmbedding.embed(texts, with: embedder, cache: cache, batchSize: 3) {
            reports.append($0)
        }
        XCTAssertEqual(vectors, try embedder.embed(texts))
        XCTAssertEqual(
            reports.map(\.total), [Int](repeating: 8, count: reports.count), "total: the distinct uncached texts")
        XCTAssertEqual(reports.map(\.done), [0, 3, 6, 8], "a start, then one report per batch of 3")
        var none = 0
        _ = try CachedEmbedding.embed(texts, with: embedder, cache: cache) { _ in none += 1 }
        XCTAssertEqual(none, 0, "everything cached: nothing to report")
    }
}
