import SluiceEvents
import SluiceJSON
import SluiceML

/// task `sentiment`: embedding -> negative / neutral / positive probabilities and
/// score = P(positive) - P(negative). Adds `"sentiment": {...}` with the version of
/// the head that scored it. The head can be replaced while the stage runs (`heads`);
/// with a canary, the events it picks (`ModelControl.inCanary`) are scored by both
/// and carry `"canary": {"head_version", "label", "score", "agrees"}` as well.
public struct SentimentStage: Stage {
    public let modelID: String?
    public let heads: HeadSlot
    public var headSlot: HeadSlot? { heads }
    private let dimension: Int

    public init(scorer: SentimentScorer) {
        modelID = scorer.embedder.modelID
        dimension = scorer.embedder.dimension
        heads = HeadSlot(
            initial: scorer.headFile, task: .sentiment, model: scorer.embedder.modelID,
            dimension: scorer.embedder.dimension)
    }

    public var headVersion: String? { heads.current.active.version }

    public var requirement: StageRequirement { .embedding(dimension: dimension) }

    public func process(_ batch: [Envelope]) -> [Result<Envelope, StageError>] {
        let now = heads.current  // one snapshot per batch: a switch falls between batches
        let embeddings = batch.map { $0.embedding! }
        let scores = Self.score(now.active, embeddings)
        var canaryScores: [Int: SentimentScore] = [:]
        if let canary = now.canary {
            let picked = batch.indices.filter { ModelControl.inCanary(eventID: batch[$0].id, fraction: now.fraction) }
            if !picked.isEmpty {
                for (index, score) in zip(picked, Self.score(canary, picked.map { embeddings[$0] })) {
                    canaryScores[index] = score
                }
            }
        }
        let version = now.active.version
        return batch.indices.map { index in
            var event = batch[index]
            let score = scores[index]
            var result: [String: JSONValue] = [
                "negative": .double(Double(score.negative)), "neutral": .double(Double(score.neutral)),
                "positive": .double(Double(score.positive)), "score": .double(Double(score.score)),
                "head_version": .string(version),
            ]
            if let canary = now.canary, let other = canaryScores[index] {
                result["canary"] = .object([
                    "head_version": .string(canary.version), "label": .string(Self.label(other)),
                    "score": .double(Double(other.score)), "agrees": .bool(Self.label(other) == Self.label(score)),
                ])
            }
            event.results["sentiment"] = .object(result)
            return .success(event)
        }
    }

    static func score(_ file: HeadFile, _ embeddings: [[Float]]) -> [SentimentScore] {
        let columns = HeadSlot.columns(of: SentimentScorer.labels, in: file)
        return file.head.predict(embeddings).map { p in
            SentimentScore(negative: p[columns[0]], neutral: p[columns[1]], positive: p[columns[2]])
        }
    }

    /// The most probable of negative / neutral / positive.
    static func label(_ score: SentimentScore) -> String {
        if score.negative >= score.neutral && score.negative >= score.positive { return "negative" }
        return score.positive > score.neutral ? "positive" : "neutral"
    }
}
