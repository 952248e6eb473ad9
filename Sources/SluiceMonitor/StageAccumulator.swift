import SluiceEvents

/// The running figures of one stage, per second-bucket and since start.
struct StageAccumulator: Sendable {
    var perEvent: Windowed<LatencyHistogram>
    var perBatch: Windowed<LatencyHistogram>
    var batchSize: Windowed<LatencyHistogram>
    var events: Windowed<Tally>
    var deadLetters: Windowed<Tally>
    var batchesSeen = RecentKeys(capacity: 8_192)
    /// Monitor time of the last sign of progress: a finished event through the stage,
    /// or the stage's group committing further.
    var lastProgress: Int64
    var replicas: Int?
    var lag: LagReport?
    /// From the lag reports' high watermarks: events per second arriving on the stage's input.
    var inputRate: InputRate

    init(bucketMicros: Int64, buckets: Int, startedAt: Int64) {
        inputRate = InputRate(keepSeconds: Int(bucketMicros * Int64(buckets) / 1_000_000))
        perEvent = Windowed(bucketMicros: bucketMicros, buckets: buckets)
        perBatch = Windowed(bucketMicros: bucketMicros, buckets: buckets)
        batchSize = Windowed(bucketMicros: bucketMicros, buckets: buckets)
        events = Windowed(bucketMicros: bucketMicros, buckets: buckets)
        deadLetters = Windowed(bucketMicros: bucketMicros, buckets: buckets)
        lastProgress = startedAt
    }

    /// Records one event's hop through the stage; returns its per-event processing time.
    mutating func record(_ hop: Hop, now: Int64) -> Int64 {
        let batch = Swift.max(1, hop.batchSize)
        let perEventMicros = Int64((Double(Swift.max(0, hop.processMicros)) / Double(batch)).rounded())
        perEvent.update(at: hop.producedAt) { $0.record(perEventMicros) }
        events.update(at: hop.producedAt) { $0.record() }
        if batchesSeen.insert("\(hop.worker)|\(hop.consumedAt)|\(hop.producedAt)") {
            perBatch.update(at: hop.producedAt) { $0.record(hop.processMicros) }
            batchSize.update(at: hop.producedAt) { $0.record(Int64(batch)) }
        }
        lastProgress = Swift.max(lastProgress, now)
        return perEventMicros
    }
}
