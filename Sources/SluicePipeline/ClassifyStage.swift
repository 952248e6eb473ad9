import SluiceEvents
import SluiceJSON
import SluiceML

/// task `classify`: embedding -> topic label, from label prototypes (zero-shot)
/// or a trained head. Adds `"label": {"name": ..., "score": p, "scores": {...}}`.
public struct ClassifyStage: Stage {
    public let labels: [String]
    public let dimension: Int
    private let distributions: @Sendable ([[Float]]) -> [[Float]]
    public let modelID: String?
    public let headVersion: String?

    public init(zeroShot classifier: ZeroShotClassifier) {
        labels = classifier.labels
        dimension = classifier.embedder.dimension
        distributions = { classifier.scores(embeddings: $0) }
        modelID = classifier.embedder.modelID
        headVersion = nil
    }

    public init(head: HeadFile) {
        labels = head.labels
        dimension = head.head.inputDimension
        distributions = { head.head.predict($0) }
        modelID = head.model
        headVersion = head.version
    }

    public var requirement: StageRequirement { .embedding(dimension: dimension) }

    public func process(_ batch: [Envelope]) -> [Result<Envelope, StageError>] {
        let probabilities = distributions(batch.map { $0.embedding! })
        return zip(batch, probabilities).map { event, row in
            var event = event
            let best = row.indices.max { row[$0] < row[$1] }!
            var scores: [String: JSONValue] = [:]
            for (label, p) in zip(labels, row) { scores[label] = .double(Double(p)) }
            event.results["label"] = .object([
                "name": .string(labels[best]), "score": .double(Double(row[best])), "scores": .object(scores),
            ])
            return .success(event)
        }
    }
}
