import Foundation

/// A Kafka producer with delivery reports, back-pressure and transactions.
///
/// Threading: delivery reports are served by a dedicated background thread
/// that calls `rd_kafka_poll(rk, 100)` until `close()` (see `RDKafkaPollLoop`);
/// it runs the `enqueue` callbacks and resumes the `send` continuations, so
/// keep callbacks short. `enqueue` never blocks. Methods marked "Blocking"
/// wait on librdkafka; from async code use their `async` twins, which run them
/// on a dedicated dispatch queue and never on Swift's cooperative threads.
public final class KafkaProducer: @unchecked Sendable {
    private let client: RDKafkaProducerClient
    /// Serial: transactions must not interleave, and blocking calls must stay off the cooperative pool.
    private let blockingQueue = DispatchQueue(label: "sluice.kafka.producer.blocking")

    /// Throws at once (librdkafka's text) for an invalid property or an unsupported librdkafka.
    public init(config: KafkaProducerConfig) throws(KafkaError) {
        client = try RDKafkaProducerClient(properties: config.librdkafkaProperties)
    }

    /// Queues a record; `onDelivery` is called once, on the poll thread, with
    /// its report. Throws `.queueFull` when the local queue is at its limit:
    /// wait for reports (or `flush`), then retry.
    public func enqueue(
        _ message: KafkaProducerMessage, onDelivery: @escaping @Sendable (KafkaDeliveryReport) -> Void
    ) throws(KafkaError) {
        try client.produce(message, completion: onDelivery)
    }

    /// Blocking while the queue is full: like `enqueue`, but on `.queueFull`
    /// waits (the poll thread drains reports meanwhile) and retries for up to
    /// `waitingForSpaceUpToMs` before throwing `.queueFull`.
    public func enqueue(
        _ message: KafkaProducerMessage, waitingForSpaceUpToMs: Int,
        onDelivery: @escaping @Sendable (KafkaDeliveryReport) -> Void
    ) throws(KafkaError) {
        let deadline = Date().addingTimeInterval(Double(waitingForSpaceUpToMs) / 1000)
        while true {
            let result = Result { () throws(KafkaError) in try client.produce(message, completion: onDelivery) }
            guard case .failure(let error) = result else { return }
            guard error.code == .queueFull, Date() < deadline else { throw error }
            Thread.sleep(forTimeInterval: 0.001)
        }
    }

    /// Sends one record and waits for its delivery report (which carries any
    /// delivery failure in `error`). Throws only if it could not be queued.
    public func send(_ message: KafkaProducerMessage) async throws(KafkaError) -> KafkaDeliveryReport {
        let result: Result<KafkaDeliveryReport, KafkaError> = await withCheckedContinuation { continuation in
            do throws(KafkaError) {
                try enqueue(message) { continuation.resume(returning: .success($0)) }
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
        return try result.get()
    }

    public func send(
        topic: String, key: [UInt8]? = nil, value: [UInt8], headers: [KafkaHeader] = [], partition: Int32? = nil
    ) async throws(KafkaError) -> KafkaDeliveryReport {
        try await send(
            KafkaProducerMessage(topic: topic, key: key, value: value, headers: headers, partition: partition))
    }

    public func send(
        topic: String, key: String, value: [UInt8], headers: [KafkaHeader] = [], partition: Int32? = nil
    ) async throws(KafkaError) -> KafkaDeliveryReport {
        try await send(
            KafkaProducerMessage(topic: topic, key: key, value: value, headers: headers, partition: partition))
    }

    /// Blocking. Enqueues a batch (waiting out `.queueFull` for up to `timeoutMs`)
    /// and waits for every report; reports come back in the batch's order.
    public func sendBatch(_ messages: [KafkaProducerMessage], timeoutMs: Int = 60_000) throws(KafkaError)
        -> [KafkaDeliveryReport]
    {
        let collector = KafkaDeliveryCollector(expected: messages.count)
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        for (index, message) in messages.enumerated() {
            let remainingMs = max(0, Int(deadline.timeIntervalSinceNow * 1000))
            try enqueue(message, waitingForSpaceUpToMs: remainingMs) { collector.record($0, at: index) }
        }
        guard let reports = collector.wait(until: deadline) else {
            throw KafkaError(
                code: .timedOut, message: "batch of \(messages.count) not acknowledged within \(timeoutMs) ms",
                isRetriable: true)
        }
        return reports
    }

    /// Async twin of `sendBatch`, run on the producer's blocking queue.
    public func sendBatch(_ messages: [KafkaProducerMessage], timeoutMs: Int = 60_000) async throws(KafkaError)
        -> [KafkaDeliveryReport]
    {
        try await onBlockingQueue { [self] () throws(KafkaError) in try sendBatch(messages, timeoutMs: timeoutMs) }
    }

    /// Records queued or in flight without a delivery report yet (`rd_kafka_outq_len`).
    public var inFlightCount: Int { client.outQueueLength }

    /// The fatal error librdkafka raised on this producer (e.g. an idempotent producer
    /// whose sequence broke), nil while it is usable. A producer with a fatal error
    /// fails every later record: close it and make a new one. Not after `close()`.
    public var fatalError: KafkaError? { client.fatalError }

    /// Raises a fatal error on this producer the way librdkafka does
    /// (`rd_kafka_test_fatal_error`), so tests can check the code that must rebuild it.
    public func raiseFatalErrorForTesting(reason: String) { client.raiseFatalErrorForTesting(reason: reason) }

    /// Blocking: waits until every queued record has its report.
    public func flush(timeoutMs: Int = 30_000) throws(KafkaError) { try client.flush(timeoutMs: timeoutMs) }

    public func flush(timeoutMs: Int = 30_000) async throws(KafkaError) {
        try await onBlockingQueue { [self] () throws(KafkaError) in try flush(timeoutMs: timeoutMs) }
    }

    // MARK: Transactions (config.transactionalID must be set). All blocking.

    public func initTransactions(timeoutMs: Int = 30_000) throws(KafkaError) {
        try client.initTransactions(timeoutMs: timeoutMs)
    }

    public func beginTransaction() throws(KafkaError) { try client.beginTransaction() }

    /// Commits the consumer's offsets atomically with this transaction's records.
    public func sendOffsetsToTransaction(
        _ offsets: [KafkaTopicPartitionOffset], groupMetadata: KafkaGroupMetadata, timeoutMs: Int = 30_000
    ) throws(KafkaError) {
        try groupMetadata.withPointer { pointer throws(KafkaError) in
            try client.sendOffsetsToTransaction(offsets, groupMetadata: pointer, timeoutMs: timeoutMs)
        }
    }

    public func commitTransaction(timeoutMs: Int = 30_000) throws(KafkaError) {
        try client.commitTransaction(timeoutMs: timeoutMs)
    }

    public func abortTransaction(timeoutMs: Int = 30_000) throws(KafkaError) {
        try client.abortTransaction(timeoutMs: timeoutMs)
    }

    /// Flushes for up to `flushTimeoutMs`, stops the poll thread and frees the
    /// handle. Idempotent; also done by deinit (without the flush).
    public func close(flushTimeoutMs: Int = 10_000) {
        try? client.flush(timeoutMs: flushTimeoutMs)
        client.close()
    }

    private func onBlockingQueue<T: Sendable>(_ body: @escaping @Sendable () throws(KafkaError) -> T)
        async throws(KafkaError) -> T
    {
        let result: Result<T, KafkaError> = await withCheckedContinuation { continuation in
            blockingQueue.async { continuation.resume(returning: Result { () throws(KafkaError) in try body() }) }
        }
        return try result.get()
    }
}
