/// One stage over one window (or since start).
public struct StageFigures: Sendable, Equatable {
    public var stage: String
    /// Events through the stage (hops seen on finished envelopes).
    public var events: Int
    public var deadLetters: Int
    /// Dead letters / (events + dead letters); nil with neither.
    public var errorRate: Double?
    /// Events per second through the stage over the window.
    public var throughput: Double
    /// Per event: process_us / batch_size, µs.
    public var processingPerEvent: DistributionSummary
    /// Per micro-batch: process_us, each batch counted once.
    public var processingPerBatch: DistributionSummary
    /// Events per micro-batch, each batch counted once.
    public var batchSize: DistributionSummary
    /// Replicas the stage has (from its consumer group's members), when the caller said.
    public var replicas: Int?
    /// Events per second arriving on the stage's input topic (`InputRate`); nil until two
    /// lag probes a second apart. The replica advice uses it (else the workflow's arrival rate).
    public var inputRate: Double?
    /// See `ReplicaAdvice`; nil before the stage processed anything in the window.
    public var replicasNeeded: Int?
    /// λ·d / m, when replicas are known.
    public var utilisation: Double?
    /// m / d events per second, when replicas are known.
    public var capacity: Double?
    /// The last lag report of the stage's group, if any.
    public var lag: LagReport?
    /// Seconds without progress while work waited (0 when the last lag report says none waits).
    public var stallSeconds: Double

    public init(
        stage: String, events: Int, deadLetters: Int, errorRate: Double?, throughput: Double,
        processingPerEvent: DistributionSummary, processingPerBatch: DistributionSummary,
        batchSize: DistributionSummary, replicas: Int?, replicasNeeded: Int?, utilisation: Double?,
        capacity: Double?, lag: LagReport?, stallSeconds: Double
    ) {
        self.stage = stage
        self.events = events
        self.deadLetters = deadLetters
        self.errorRate = errorRate
        self.throughput = throughput
        self.processingPerEvent = processingPerEvent
        self.processingPerBatch = processingPerBatch
        self.batchSize = batchSize
        self.replicas = replicas
        self.replicasNeeded = replicasNeeded
        self.utilisation = utilisation
        self.capacity = capacity
        self.lag = lag
        self.stallSeconds = stallSeconds
    }
}
