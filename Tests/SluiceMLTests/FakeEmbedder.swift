import SluiceML

/// A deterministic stand-in embedder for tests that need no real model: the sum of a
/// random unit-ish vector per lowercase word, L2-normalised.
final class FakeEmbedder: SentenceEmbedder {
    let dimension: Int
    let modelID: String

    init(dimension: Int = 32, modelID: String = "fake-words@1") {
        self.dimension = dimension
        self.modelID = modelID
    }

    func embed(_ texts: [String]) throws -> [[Float]] {
        texts.map { text in
            var v = [Float](repeating: 0, count: dimension)
            for word in BagOfWords.tokenize(text) {
                var rng = SplitMix64(seed: FNV1a.hash64(word))
                for i in v.indices { v[i] += rng.nextGaussian() }
            }
            let norm = max(v.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-6)
            return v.map { $0 / norm }
        }
    }
}
