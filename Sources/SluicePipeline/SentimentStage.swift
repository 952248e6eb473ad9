import SluiceEvents
import SluiceJSON
import SluiceML

/// task `sentiment`: embedding -> negative / neutral / positive probabilities and
/// score = P(positive) - P(negative). Adds `"sentiment": {...}` with the head's version.
public struct SentimentStage: Stage {
    public let scorer: SentimentScorer

    public init(scorer: SentimentScorer) { self.scorer = scorer }

    public var modelID: String? { scorer.embedder.modelID }
    public var headVersion: String? { scorer.headFile.version }

    public var requirement: StageRequirement { .embedding(dimension: scorer.embedder.dimension) }

    public func process(_ batch: [Envelope]) -> [Result<Envelope, StageError>] {
        let scores = scorer.score(embeddings: batch.map { $0.embedding! })
        let version = scorer.headFile.version
        return zip(batch, scores).map { event, score in
            var event = event
            event.results["sentiment"] = .object([
                "negative": .double(Double(score.negative)), "neutral": .double(Double(score.neutral)),
                "positive": .double(Double(score.positive)), "score": .double(Double(score.score)),
                "head_version": .string(version),
            ])
            return .success(event)
        }
    }
}
