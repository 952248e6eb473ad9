import Foundation
import Logging
import SluiceKafka

/// The gateway's producer. Each request enqueues its records at once (no queue of
/// requests: librdkafka batches what concurrent requests enqueue within `linger.ms`)
/// and waits for their delivery reports, which come within `produceTimeoutMs`
/// (`message.timeout.ms`), so no request waits behind another's broker outage.
///
/// After librdkafka raises a fatal error, or the broker refuses the producer's id
/// (`isBroken`), the producer is closed and a new one made, so the gateway recovers
/// without a restart; `/readyz` says so meanwhile.
final class EventProducer: @unchecked Sendable {
    enum Failure: Error {
        /// The broker did not acknowledge (in time); the first error, and how many were acknowledged.
        case notAcknowledged(String, acknowledged: Int)
        /// The local queue is full: the broker is slower than the posts.
        case busy(String)
        case stopped
    }

    private let config: KafkaProducerConfig
    private let logger: Logger
    private let lock = NSLock()
    private var current: KafkaProducer?
    private(set) var rebuilds = 0
    let queueLimit: Int

    init(config: KafkaConfig, produceTimeoutMs: Int, logger: Logger) throws {
        self.config = KafkaProducerConfig(common: config, messageTimeoutMs: produceTimeoutMs)
        self.logger = logger
        queueLimit = Int(self.config.librdkafkaProperties["queue.buffering.max.messages"] ?? "") ?? 100_000
        current = try KafkaProducer(config: self.config)
    }

    /// Tests: the producer in use now.
    var producer: KafkaProducer? { lock.withLock { current } }

    /// Enqueues every message, or none when the local queue could not take them all,
    /// and waits for every delivery report.
    func send(_ messages: [KafkaProducerMessage]) async -> Result<Void, Failure> {
        guard let producer = lock.withLock({ current }) else { return .failure(.stopped) }
        // All or nothing: refuse before enqueueing when the queue cannot take the whole batch.
        guard producer.inFlightCount + messages.count <= queueLimit else {
            return .failure(.busy("\(producer.inFlightCount) records are waiting for the broker"))
        }
        let reports = await Self.deliver(messages, with: producer)
        var acknowledged = 0
        var firstError: KafkaError?
        var fatal = false
        for report in reports {
            guard let error = report.error else {
                acknowledged += 1
                continue
            }
            if firstError == nil { firstError = error }
            if Self.isBroken(error) { fatal = true }
        }
        guard let firstError else { return .success(()) }
        if fatal || producer.fatalError != nil { rebuild(after: producer, because: "\(firstError)") }
        return .failure(.notAcknowledged("\(firstError)", acknowledged: acknowledged))
    }

    /// Enqueues each message and resumes once every delivery report is in (a message
    /// librdkafka refused to queue counts as its own failed report).
    private static func deliver(_ messages: [KafkaProducerMessage], with producer: KafkaProducer) async
        -> [KafkaDeliveryReport]
    {
        let gatherer = ReportGatherer(expected: messages.count)
        return await withCheckedContinuation { continuation in
            gatherer.onComplete { continuation.resume(returning: $0) }
            for (index, message) in messages.enumerated() {
                enqueue(message, at: index, with: producer, into: gatherer)
            }
        }
    }

    private static func enqueue(
        _ message: KafkaProducerMessage, at index: Int, with producer: KafkaProducer, into gatherer: ReportGatherer
    ) {
        let failure: KafkaError?
        do throws(KafkaError) {
            try producer.enqueue(message) { gatherer.record($0, at: index) }
            failure = nil
        } catch {
            failure = error
        }
        if let failure {
            gatherer.record(
                KafkaDeliveryReport(topic: message.topic, partition: -1, offset: nil, error: failure), at: index)
        }
    }

    /// Errors after which this producer will never deliver again: librdkafka's fatal
    /// ones, and the broker's verdicts on its producer id or epoch, which librdkafka
    /// reports per record without raising a fatal error. Tansu answers PRODUCER_FENCED
    /// (90) to every later record of an idempotent producer whose requests timed out
    /// while it was paused.
    static func isBroken(_ error: KafkaError) -> Bool {
        error.isFatal || error.code == .fatal || brokenStates.contains(error.code.rawValue)
    }

    /// OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, INVALID_PRODUCER_ID_MAPPING,
    /// UNKNOWN_PRODUCER_ID, PRODUCER_FENCED.
    static let brokenStates: Set<Int32> = [45, 47, 49, 59, 90]

    /// nil when usable; else what is wrong. Rebuilds a producer that has a fatal error.
    func check() -> String? {
        guard let producer = lock.withLock({ current }) else { return "stopped" }
        if let fatal = producer.fatalError {
            rebuild(after: producer)
            return "\(fatal); a new producer was made"
        }
        return nil
    }

    /// Replaces `broken` (once, however many requests saw it fail) with a new producer.
    private func rebuild(after broken: KafkaProducer, because delivery: String? = nil) {
        let reason = broken.fatalError.map { "\($0)" } ?? delivery ?? "fatal delivery error"
        lock.lock()
        guard current === broken else {
            lock.unlock()
            return
        }
        do {
            current = try KafkaProducer(config: config)
            rebuilds += 1
        } catch {
            logger.error("cannot make a new producer after a fatal error: \(error)")
            lock.unlock()
            return
        }
        lock.unlock()
        logger.error("the producer cannot deliver any more (\(reason)); made a new one")
        // Closing flushes: off the request path.
        DispatchQueue(label: "sluice.gateway.producer-close").async { broken.close(flushTimeoutMs: 0) }
    }

    func close() {
        let producer = lock.withLock { () -> KafkaProducer? in
            defer { current = nil }
            return current
        }
        producer?.close()
    }
}

/// Delivery reports of one request, handed over once the last one is in.
final class ReportGatherer: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [KafkaDeliveryReport?]
    private var missing: Int
    private var done: (([KafkaDeliveryReport]) -> Void)?

    init(expected: Int) {
        reports = Array(repeating: nil, count: expected)
        missing = expected
    }

    func onComplete(_ body: @escaping ([KafkaDeliveryReport]) -> Void) { lock.withLock { done = body } }

    func record(_ report: KafkaDeliveryReport, at index: Int) {
        lock.lock()
        guard reports[index] == nil else {
            lock.unlock()
            return
        }
        reports[index] = report
        missing -= 1
        guard missing == 0, let finished = done else {
            lock.unlock()
            return
        }
        done = nil
        let all = reports.compactMap { $0 }
        lock.unlock()
        finished(all)
    }
}
