import SluiceEvents
import SluiceJSON
import SluiceML

/// task `classify`: embedding -> topic label, from label prototypes (zero-shot)
/// or a trained head. Adds `"label": {"name": ..., "score": p, "scores": {...}}`,
/// with a head also `"head_version"`. A head can be replaced while the stage runs
/// (see `SentimentStage`); its canary adds `"canary": {"head_version", "label",
/// "score", "agrees"}` to the events it picks.
public struct ClassifyStage: Stage {
    public let labels: [String]
    public let dimension: Int
    private let zeroShot: (@Sendable ([[Float]]) -> [[Float]])?
    public let modelID: String?
    /// nil for zero-shot: such a stage has no head to deploy.
    public let headSlot: HeadSlot?

    public init(zeroShot classifier: ZeroShotClassifier) {
        labels = classifier.labels
        dimension = classifier.embedder.dimension
        zeroShot = { classifier.scores(embeddings: $0) }
        modelID = classifier.embedder.modelID
        headSlot = nil
    }

    public init(head: HeadFile) {
        labels = head.labels
        dimension = head.head.inputDimension
        zeroShot = nil
        modelID = head.model
        headSlot = HeadSlot(
            initial: head, task: .classify(labels: head.labels), model: head.model, dimension: dimension)
    }

    public var headVersion: String? { headSlot?.current.active.version }

    public var requirement: StageRequirement { .embedding(dimension: dimension) }

    public func process(_ batch: [Envelope]) -> [Result<Envelope, StageError>] {
        let embeddings = batch.map { $0.embedding! }
        guard let slot = headSlot else { return label(batch, zeroShot!(embeddings), version: nil, canary: nil) }
        let now = slot.current  // one snapshot per batch: a switch falls between batches
        var canary: (version: String, rows: [Int: [Float]])?
        if let head = now.canary {
            let picked = batch.indices.filter { ModelControl.inCanary(eventID: batch[$0].id, fraction: now.fraction) }
            let rows = picked.isEmpty ? [] : predict(head, picked.map { embeddings[$0] })
            canary = (head.version, Dictionary(uniqueKeysWithValues: zip(picked, rows)))
        }
        return label(batch, predict(now.active, embeddings), version: now.active.version, canary: canary)
    }

    /// Probabilities in this stage's label order, whatever the head's order.
    private func predict(_ file: HeadFile, _ embeddings: [[Float]]) -> [[Float]] {
        let columns = HeadSlot.columns(of: labels, in: file)
        return file.head.predict(embeddings).map { p in columns.map { p[$0] } }
    }

    private func best(_ row: [Float]) -> Int { row.indices.max { row[$0] < row[$1] }! }

    private func label(
        _ batch: [Envelope], _ probabilities: [[Float]], version: String?,
        canary: (version: String, rows: [Int: [Float]])?
    ) -> [Result<Envelope, StageError>] {
        batch.indices.map { index in
            var event = batch[index]
            let row = probabilities[index]
            let top = best(row)
            var scores: [String: JSONValue] = [:]
            for (label, p) in zip(labels, row) { scores[label] = .double(Double(p)) }
            var result: [String: JSONValue] = [
                "name": .string(labels[top]), "score": .double(Double(row[top])), "scores": .object(scores),
            ]
            if let version { result["head_version"] = .string(version) }
            if let canary, let other = canary.rows[index] {
                let otherTop = best(other)
                result["canary"] = .object([
                    "head_version": .string(canary.version), "label": .string(labels[otherTop]),
                    "score": .double(Double(other[otherTop])), "agrees": .bool(otherTop == top),
                ])
            }
            event.results["label"] = .object(result)
            return .success(event)
        }
    }
}
