import Foundation

/// A consumer-group member with explicit commits and a synchronous rebalance hook.
///
/// Threading: `poll` is a blocking call meant for the caller's own thread
/// (the pipeline worker runs a dedicated one); `rd_kafka_poll_set_consumer`
/// routes rebalance and error events into it, so the rebalance handler runs on
/// that same thread, inside `poll` (or inside `close`). `pollAsync` runs the
/// same call on the consumer's dedicated dispatch queue instead of Swift's
/// cooperative pool. Do not call `poll` from two threads at once, and do not
/// call `close` from inside the rebalance handler.
public final class KafkaConsumer: @unchecked Sendable {
    private let client: RDKafkaConsumerClient
    private let pollQueue = DispatchQueue(label: "sluice.kafka.consumer.poll")
    /// Serialises poll with close, so the handle is never destroyed mid-poll.
    private let pollLock = NSLock()
    private let stateLock = NSLock()
    private var closing = false
    /// Set only after the handle is gone: commits from the final revoke (inside close) still work.
    private var closed = false

    public init(config: KafkaConsumerConfig) throws(KafkaError) {
        client = try RDKafkaConsumerClient(properties: config.librdkafkaProperties)
    }

    /// Called synchronously INSIDE librdkafka's rebalance callback, before a
    /// revoke completes: commit acknowledged offsets of revoked partitions here.
    /// Set it before `subscribe`; capture the consumer weakly to avoid a cycle.
    public func setRebalanceHandler(_ handler: (@Sendable (KafkaRebalanceEvent) -> Void)?) {
        guard let handler else { return client.client.events.setRebalanceHandler(nil) }
        client.client.events.setRebalanceHandler { event, _ in handler(event) }
    }

    /// The same, with the event's epoch: the number of rebalance events served,
    /// this one included. Records polled after it carry at least this
    /// `KafkaRecord.rebalanceEpoch`; records polled before it carry less. So a
    /// record is stale exactly when its partition was revoked at an epoch above
    /// the record's: it was fetched under an assignment that has since ended,
    /// even if the partition has come back since (then it is fetched again).
    public func setRebalanceHandler(_ handler: (@Sendable (KafkaRebalanceEvent, _ epoch: UInt64) -> Void)?) {
        client.client.events.setRebalanceHandler(handler)
    }

    public func subscribe(topics: [String]) throws(KafkaError) {
        try ensureOpen()
        try client.subscribe(topics)
    }

    /// Reads these partitions from the given offsets without joining the group
    /// (no rebalance wait, nothing committed unless asked): for readers that
    /// scan a topic, e.g. the registry. Use instead of `subscribe`, not with it.
    public func assign(_ offsets: [KafkaTopicPartitionOffset]) throws(KafkaError) {
        try ensureOpen()
        try client.assign(offsets)
    }

    /// Blocking: returns up to `maxRecords` records, waiting at most `timeoutMs`
    /// in all; returns what it has as soon as the next record does not come in
    /// the remaining time. Transient errors (librdkafka retries them) are
    /// logged, not thrown; fatal ones are thrown.
    public func poll(maxRecords: Int = 500, timeoutMs: Int = 100) throws(KafkaError) -> [KafkaRecord] {
        pollLock.lock()
        defer { pollLock.unlock() }
        try ensureOpen()
        var records: [KafkaRecord] = []
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(timeoutMs, 0)) * 1_000_000
        while records.count < maxRecords {
            let now = DispatchTime.now().uptimeNanoseconds
            // Once something arrived, drain what is already fetched without waiting.
            let remainingMs = now >= deadline ? 0 : Int((deadline - now) / 1_000_000)
            guard let outcome = try client.pollOne(timeoutMs: records.isEmpty ? remainingMs : 0) else {
                if records.isEmpty && remainingMs > 0 { continue }
                break
            }
            switch outcome {
            case .success(let record): records.append(record)
            case .failure(let error): rdKafkaLogger.warning("\(error)")
            }
        }
        return records
    }

    /// `poll` on the consumer's own dispatch queue, for async callers.
    public func pollAsync(maxRecords: Int = 500, timeoutMs: Int = 100) async throws(KafkaError) -> [KafkaRecord] {
        let result: Result<[KafkaRecord], KafkaError> = await withCheckedContinuation { continuation in
            pollQueue.async { [self] in
                continuation.resume(
                    returning: Result { () throws(KafkaError) in
                        try poll(maxRecords: maxRecords, timeoutMs: timeoutMs)
                    })
            }
        }
        return try result.get()
    }

    /// Blocking synchronous commit. Each offset is the NEXT one to read
    /// (see `KafkaRecord.nextOffset`). Safe inside the rebalance handler.
    public func commit(offsets: [KafkaTopicPartitionOffset]) throws(KafkaError) {
        try ensureOpen()
        try client.commit(offsets)
    }

    /// Blocking: the group's committed offsets; nil where nothing is committed.
    public func committed(_ partitions: [KafkaTopicPartition], timeoutMs: Int = 10_000) throws(KafkaError)
        -> [KafkaTopicPartition: Int64?]
    {
        try ensureOpen()
        return try client.committed(partitions, timeoutMs: timeoutMs)
    }

    /// Stops fetching from these partitions (they stay assigned): back-pressure.
    public func pause(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        try ensureOpen()
        try client.pause(partitions)
    }

    public func resume(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        try ensureOpen()
        try client.resume(partitions)
    }

    /// The partitions currently assigned to this member.
    public func assignment() throws(KafkaError) -> [KafkaTopicPartition] {
        try ensureOpen()
        return try client.assignment()
    }

    /// For `KafkaProducer.sendOffsetsToTransaction`.
    public func groupMetadata() throws(KafkaError) -> KafkaGroupMetadata {
        try ensureOpen()
        guard let pointer = client.groupMetadata() else {
            throw KafkaError(code: .state, message: "no group metadata: is group.id set?")
        }
        return KafkaGroupMetadata(pointer: pointer)
    }

    /// Blocking: leaves the group (the rebalance handler sees the final
    /// revoke and may commit), then frees the handle. Idempotent; deinit calls it.
    public func close() {
        pollLock.lock()
        defer { pollLock.unlock() }
        stateLock.lock()
        let first = !closing
        closing = true
        stateLock.unlock()
        guard first else { return }
        client.close()
        stateLock.lock()
        closed = true
        stateLock.unlock()
    }

    public var isClosed: Bool {
        stateLock.lock()
        defer { stateLock.unlock() }
        return closed
    }

    private func ensureOpen() throws(KafkaError) {
        if isClosed { throw KafkaError(code: .closed, message: "the consumer is closed") }
    }

    deinit { close() }
}
