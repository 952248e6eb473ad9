/// What one stage did to one event: when its worker consumed the record and
/// produced the result (epoch microseconds), how large the micro-batch was, and
/// how long the step took for the whole batch, so that the monitor can derive
/// per-event processing time (process_us / batch_size) and the delays between stages.
public struct Hop: Sendable, Equatable {
    public var stage: String
    public var worker: String
    public var consumedAt: Int64
    public var producedAt: Int64
    public var batchSize: Int
    public var processMicros: Int64

    public init(
        stage: String, worker: String, consumedAt: Int64, producedAt: Int64, batchSize: Int, processMicros: Int64
    ) {
        self.stage = stage
        self.worker = worker
        self.consumedAt = consumedAt
        self.producedAt = producedAt
        self.batchSize = batchSize
        self.processMicros = processMicros
    }
}
