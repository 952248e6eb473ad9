import SluiceJSON

/// One event as it travels through a workflow: one JSON object per Kafka record
/// value. Stages add their results under their own keys and append a hop.
///
///     {"id": "...", "workflow": "...", "created_at": 1732860000000000,
///      "text": "...", "data": {...caller fields...},
///      "embedding": {"dim": 384, "dtype": "float32le", "b64": "..."},
///      "label": {...}, "sentiment": {...},
///      "hops": [{"stage": "features", "worker": "host:pid", "consumed_at": ..., "produced_at": ...,
///                "batch_size": 32, "process_us": 41000}]}
public struct Envelope: Sendable, Equatable {
    public var id: String
    public var workflow: String?
    /// Epoch microseconds at the first producer.
    public var createdAt: Int64
    public var text: String
    /// Caller fields, carried untouched.
    public var data: [String: JSONValue]
    public var embedding: [Float]?
    /// Results of stages other than the embedding (`label`, `sentiment`, ...), by key.
    public var results: [String: JSONValue]
    public var hops: [Hop]

    public init(
        id: String, workflow: String? = nil, createdAt: Int64, text: String, data: [String: JSONValue] = [:],
        embedding: [Float]? = nil, results: [String: JSONValue] = [:], hops: [Hop] = []
    ) {
        self.id = id
        self.workflow = workflow
        self.createdAt = createdAt
        self.text = text
        self.data = data
        self.embedding = embedding
        self.results = results
        self.hops = hops
    }
}
