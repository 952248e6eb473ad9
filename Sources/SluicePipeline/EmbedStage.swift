import SluiceEvents
import SluiceML

/// task `embed`: text -> sentence embedding, one transformer call per micro-batch.
public struct EmbedStage: Stage {
    public let embedder: any SentenceEmbedder

    public init(embedder: any SentenceEmbedder) { self.embedder = embedder }

    public var modelID: String? { embedder.modelID }

    public var precision: String? {
        guard let choice = (embedder as? MiniLMEncoder)?.precision else { return nil }
        return choice.fallback.map { "\(choice); \($0)" } ?? choice.description
    }

    public var requirement: StageRequirement { .text }

    /// The encoder's: a batch a thread when the worker has two in hand.
    public var concurrentBatches: Int { embedder.concurrentCalls }

    public func process(_ batch: [Envelope]) -> [Result<Envelope, StageError>] {
        do {
            let vectors = try embedder.embed(batch.map(\.text))
            return zip(batch, vectors).map { event, vector in
                var event = event
                event.embedding = vector
                return .success(event)
            }
        } catch {
            let failure = StageError(reason: DeadLetterReason.stageError, detail: "embedding failed: \(error)")
            return batch.map { _ in .failure(failure) }
        }
    }
}
