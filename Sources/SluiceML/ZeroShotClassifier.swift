/// Classifies texts with no training: each label's prototype is the L2-normalised mean
/// embedding of its descriptions and its few-shot examples, every text counting once
/// (so a label with 2 descriptions and 8 examples leans on the examples 4 to 1); a
/// text's distribution is softmax(cosine / temperature).
///
/// With `otherBelow` set, `other` is one more outcome, scored as if its prototype lay at
/// that cosine from every text: a text closer than that to no label comes out `other`.
public final class ZeroShotClassifier: TextClassifier {
    public static let otherLabel = "other"
    public let embedder: any SentenceEmbedder
    public let specs: [LabelSpec]
    public let temperature: Float
    /// The cosine a text must reach to some label's prototype not to be `other`; nil: no `other`.
    public let otherBelow: Float?
    /// One unit vector per label.
    public let prototypes: [[Float]]

    public init(
        embedder: any SentenceEmbedder, labels: [LabelSpec], temperature: Float = 0.05, otherBelow: Float? = nil
    ) throws {
        guard !labels.isEmpty else { throw ZeroShotError("no labels given") }
        guard temperature > 0 else { throw ZeroShotError("temperature must be > 0, got \(temperature)") }
        for spec in labels where spec.descriptions.isEmpty && spec.examples.isEmpty {
            throw ZeroShotError("label '\(spec.name)' has no descriptions or examples")
        }
        if let otherBelow, !(-1...1).contains(otherBelow) {
            throw ZeroShotError("other_below is a cosine, in -1...1; got \(otherBelow)")
        }
        if otherBelow != nil, labels.contains(where: { $0.name == Self.otherLabel }) {
            throw ZeroShotError("a label named '\(Self.otherLabel)' clashes with the other outcome; rename it")
        }
        var prototypes: [[Float]] = []
        for spec in labels {
            let vectors = try embedder.embed(spec.descriptions + spec.examples)
            var mean = [Float](repeating: 0, count: embedder.dimension)
            for v in vectors { for i in mean.indices { mean[i] += v[i] } }
            prototypes.append(Self.normalised(mean))
        }
        self.embedder = embedder
        self.specs = labels
        self.temperature = temperature
        self.otherBelow = otherBelow
        self.prototypes = prototypes
    }

    /// The labels' names, then `other` when `otherBelow` is set: the order of every distribution.
    public var labels: [String] { specs.map(\.name) + (otherBelow == nil ? [] : [Self.otherLabel]) }

    public func classify(_ texts: [String]) throws -> [[Float]] {
        scores(embeddings: try embedder.embed(texts))
    }

    /// Distributions for embeddings already computed (for example from a cache).
    public func scores(embeddings: [[Float]]) -> [[Float]] {
        embeddings.map { e in
            let unit = Self.normalised(e)
            var logits = prototypes.map { p in zip(p, unit).reduce(0) { $0 + $1.0 * $1.1 } / temperature }
            if let otherBelow { logits.append(otherBelow / temperature) }
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
