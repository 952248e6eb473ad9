import Foundation

/// What a worker has done so far; read from any thread.
public final class WorkerCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var values = Snapshot()

    public struct Snapshot: Sendable, Equatable {
        public var batches = 0
        public var processed = 0
        public var deadLettered = 0
        /// Times the producer queue filled and the worker paused its partitions.
        public var pauses = 0
        /// Times the worker rejoined its group after a failed delivery or transaction.
        public var rejoins = 0
        /// When the last rejoin happened; nil before the first.
        public var lastRejoinAt: Date?
        public var assigned: [String] = []
    }

    public init() {}

    public var snapshot: Snapshot {
        lock.lock()
        defer { lock.unlock() }
        return values
    }

    func update(_ change: (inout Snapshot) -> Void) {
        lock.lock()
        change(&values)
        lock.unlock()
    }
}
