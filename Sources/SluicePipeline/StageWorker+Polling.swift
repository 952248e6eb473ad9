import Dispatch
import SluiceEvents
import SluiceKafka

/// How a worker polls the records of its next batch.
extension StageWorker {
    /// Up to `batchSize` records, the held ones first, waiting after the first one as long
    /// as `planner` says (at most `batchWaitMs`).
    func pollBatch(
        _ consumer: KafkaConsumer, rebalance: RebalanceTracker, planner: BatchPlanner, held: inout HeldRecords
    ) throws -> [KafkaRecord] {
        if held.records.isEmpty {
            held.add(try consumer.poll(maxRecords: stage.batchSize, timeoutMs: options.idlePollMs))
        }
        while !held.records.isEmpty && held.records.count < stage.batchSize {
            let wait = remainingWaitMs(held, planner: planner)
            // No wait left: still take what the consumer has fetched already, which costs nothing.
            let more = try consumer.poll(
                maxRecords: stage.batchSize - held.records.count, timeoutMs: Int(wait.rounded(.up)))
            held.add(more)
            if wait <= 0 || (more.isEmpty && wait < 1) { break }
        }
        return held.take(keeping: rebalance)
    }

    /// While a step runs: what the consumer has fetched already, without waiting, which would
    /// hold back that step's outputs. Only a full batch starts beside the running one, which
    /// happens under a backlog: below it, a batch that starts alone splits its work over the
    /// cores, and the other stages' threads find a core free (a second batch at every chance
    /// made the hops at half the capacity 3-5 ms longer). Until then the records are held,
    /// and the next poll goes on from them.
    func pollBeside(_ consumer: KafkaConsumer, rebalance: RebalanceTracker, held: inout HeldRecords)
        throws -> [KafkaRecord]
    {
        held.add(try consumer.poll(maxRecords: stage.batchSize - held.records.count, timeoutMs: 0))
        // A revoke inside that poll may have taken partitions of the held records.
        held.records = rebalance.keepCurrent(held.records)
        guard held.records.count >= stage.batchSize else { return [] }
        return held.take(keeping: rebalance)
    }

    private func remainingWaitMs(_ held: HeldRecords, planner: BatchPlanner) -> Double {
        let waited = Double(DispatchTime.now().uptimeNanoseconds - held.firstAt) / 1e6
        let age = held.oldestTimestampMs.map { Double(EventClock.nowMicros() / 1000 - $0) }
        return planner.remainingWaitMs(count: held.records.count, waitedMs: waited, oldestAgeMs: age)
    }
}

/// The records of the next batch, polled but not started yet.
struct HeldRecords {
    var records: [KafkaRecord] = []
    /// When the first of them was polled.
    private(set) var firstAt: UInt64 = 0
    private(set) var oldestTimestampMs: Int64?

    mutating func add(_ more: [KafkaRecord]) {
        guard !more.isEmpty else { return }
        if records.isEmpty {
            firstAt = DispatchTime.now().uptimeNanoseconds
            oldestTimestampMs = nil
        }
        records += more
        if let oldest = more.compactMap(\.timestampMs).min() {
            oldestTimestampMs = min(oldest, oldestTimestampMs ?? oldest)
        }
    }

    /// The held records still fetched under the current assignment; none are held after.
    mutating func take(keeping rebalance: RebalanceTracker) -> [KafkaRecord] {
        defer { self = HeldRecords() }
        return rebalance.keepCurrent(records)
    }
}
