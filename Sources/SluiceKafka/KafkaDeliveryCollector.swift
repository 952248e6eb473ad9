import Foundation

/// Gathers the delivery reports of one batch so a worker can enqueue the batch
/// and then wait for all of it. Thread-safe: reports arrive on the poll thread.
public final class KafkaDeliveryCollector: @unchecked Sendable {
    private let condition = NSCondition()
    private var reports: [KafkaDeliveryReport?]
    private var missing: Int

    public init(expected: Int) {
        reports = Array(repeating: nil, count: expected)
        missing = expected
    }

    /// Use as (part of) `KafkaProducer.enqueue`'s `onDelivery`.
    public func record(_ report: KafkaDeliveryReport, at index: Int) {
        condition.lock()
        if reports[index] == nil { missing -= 1 }
        reports[index] = report
        condition.broadcast()
        condition.unlock()
    }

    /// Blocking: every report in batch order, or nil if `deadline` passed first.
    public func wait(until deadline: Date) -> [KafkaDeliveryReport]? {
        condition.lock()
        defer { condition.unlock() }
        while missing > 0 {
            if !condition.wait(until: deadline) && missing > 0 { return nil }
        }
        return reports.map { $0! }
    }
}
