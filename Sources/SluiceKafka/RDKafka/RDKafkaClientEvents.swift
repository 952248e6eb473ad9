import CRdKafka
import Foundation

/// The conf opaque of every handle: what librdkafka's callbacks report back
/// to Swift. Owned by `RDKafkaClient`, so it outlives the handle; callbacks
/// borrow it unretained.
final class RDKafkaClientEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var rebalanceHandler: (@Sendable (KafkaRebalanceEvent, UInt64) -> Void)?
    private var epoch: UInt64 = 0
    private var lastError: String?

    func setRebalanceHandler(_ handler: (@Sendable (KafkaRebalanceEvent, UInt64) -> Void)?) {
        lock.lock()
        rebalanceHandler = handler
        lock.unlock()
    }

    /// Counts the event (records polled from now on carry the new count), then tells the handler.
    func notifyRebalance(_ event: KafkaRebalanceEvent) {
        lock.lock()
        epoch += 1
        let current = epoch
        let handler = rebalanceHandler
        lock.unlock()
        handler?(event, current)  // outside the lock: the handler may call back into the client
    }

    /// Rebalance events served so far.
    var rebalanceEpoch: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return epoch
    }

    /// Returns false when the same text was the last error (reconnect loops repeat it).
    func recordError(_ text: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let isNew = lastError != text
        lastError = text
        return isNew
    }

    /// The last client-level error (e.g. "Connect to ipv4#127.0.0.1:1 failed: Connection refused").
    var lastErrorText: String? {
        lock.lock()
        defer { lock.unlock() }
        return lastError
    }

    static func from(_ opaque: UnsafeMutableRawPointer) -> RDKafkaClientEvents {
        Unmanaged<RDKafkaClientEvents>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// Client-level errors (broker down, auth failures, fatal errors). Served by
/// whoever polls the main queue: the poll loop, or `rd_kafka_consumer_poll`.
let rdKafkaErrorCallback:
    @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?)
        -> Void = { _, code, reason, opaque in
            guard let opaque else { return }
            let text = reason.map { String(cString: $0) } ?? "error \(code)"
            if RDKafkaClientEvents.from(opaque).recordError(text) {
                rdKafkaLogger.warning("librdkafka error \(code): \(text)")
            }
        }
