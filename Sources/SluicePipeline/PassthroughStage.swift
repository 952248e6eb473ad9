import SluiceEvents

/// No model: events pass through untouched but for their hop. Measures the
/// runtime's own ceiling (Kafka, JSON, batching) without the transformer.
public struct PassthroughStage: Stage {
    public init() {}
    public var requirement: StageRequirement { .text }
    public func process(_ batch: [Envelope]) -> [Result<Envelope, StageError>] { batch.map { .success($0) } }
}
