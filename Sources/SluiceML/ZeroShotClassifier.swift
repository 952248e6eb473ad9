/// Classifies texts with no training: each label's prototype is the L2-normalised mean
/// embedding of its descriptions; a text's distribution is softmax(cosine / temperature).
public final class ZeroShotClassifier: TextClassifier {
    public let embedder: any SentenceEmbedder
    public let specs: [LabelSpec]
    public let temperature: Float
    /// One unit vector per label.
    public let prototypes: [[Float]]

    public init(embedder: any SentenceEmbedder, labels: [LabelSpec], temperature: Float = 0.05) throws {
        guard !labels.isEmpty else { throw ZeroShotError("no labels given") }
        guard temperature > 0 else { throw ZeroShotError("temperature must be > 0, got \(temperature)") }
        for spec in labels where spec.descriptions.isEmpty {
            throw ZeroShotError("label '\(spec.name)' has no descriptions")
        }
        var prototypes: [[Float]] = []
        for spec in labels {
            let vectors = try embedder.embed(spec.descriptions)
            var mean = [Float](repeating: 0, count: embedder.dimension)
            for v in vectors { for i in mean.indices { mean[i] += v[i] } }
            prototypes.append(Self.normalised(mean))
        }
        self.embedder = embedder
        self.specs = labels
        self.temperature = temperature
        self.prototypes = prototypes
    }

    public var labels: [String] { specs.map(\.name) }

    public func classify(_ texts: [String]) throws -> [[Float]] {
        scores(embeddings: try embedder.embed(texts))
    }

    /// Distributions for embeddings already computed (for example from a cache).
    public func scores(embeddings: [[Float]]) -> [[Float]] {
        embeddings.map { e in
            let unit = Self.normalised(e)
            let logits = prototypes.map { p in zip(p, unit).reduce(0) { $0 + $1.0 * $1.1 } / temperature }
            return softmaxRows(logits, rows: 1, classes: logits.count)
        }
    }

    static func normalised(_ v: [Float]) -> [Float] {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? v.map { $0 / norm } : v
    }
}

public struct ZeroShotError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
