import Foundation
import SluiceMonitor

/// The last results seen on the output and dead-letter topics, by event id, at most
/// `capacity` of them and at most `maxBytes` by `EventResult.estimatedBytes`, plus
/// waiters for ids not seen yet (`POST .../predict`). Oldest results are evicted first;
/// one larger than `maxBytes` on its own is handed to its waiters but not kept.
/// Thread-safe.
public final class ResultCache: @unchecked Sendable {
    public let capacity: Int
    public let maxBytes: Int
    private let lock = NSLock()
    private var results: [String: (result: EventResult, bytes: Int, slot: Int)] = [:]
    /// Insertion order, for eviction, from `head` on; a slot whose number is no longer its
    /// id's (the result was replaced since) is skipped.
    private var order: [(id: String, slot: Int)] = []
    private var head = 0
    private var nextSlot = 0
    private var totalBytes = 0
    private var waiters: [String: [ResultPromise]] = [:]
    /// Ids accepted by this gateway and not out yet: `GET` says "pending" for them.
    private var pending = RecentKeys(capacity: 100_000)

    public init(capacity: Int, maxBytes: Int = 128 << 20) {
        precondition(capacity > 0 && maxBytes > 0)
        self.capacity = capacity
        self.maxBytes = maxBytes
    }

    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return results.count
    }

    /// The estimated bytes of the results kept.
    public var bytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return totalBytes
    }

    public func result(for id: String) -> EventResult? {
        lock.lock()
        defer { lock.unlock() }
        return results[id]?.result
    }

    /// Promises registered and not fulfilled or abandoned: predict calls waiting.
    public var waiting: Int {
        lock.lock()
        defer { lock.unlock() }
        return waiters.values.reduce(0) { $0 + $1.count }
    }

    public func isPending(_ id: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return pending.contains(id)
    }

    public func markPending(_ ids: [String]) {
        lock.lock()
        for id in ids where results[id] == nil { pending.insert(id) }
        lock.unlock()
    }

    /// Stores a result and fulfils every promise waiting for its id. A later result
    /// for the same id (a redelivery, a replayed dead letter that now succeeded) replaces it.
    public func store(_ result: EventResult, for id: String) {
        let cost = id.utf8.count + result.estimatedBytes
        lock.lock()
        if let previous = results.removeValue(forKey: id) {
            totalBytes -= previous.bytes  // its slot in `order` is skipped when it comes up
        }
        if cost <= maxBytes {
            results[id] = (result, cost, nextSlot)
            order.append((id, nextSlot))
            nextSlot += 1
            totalBytes += cost
            evict()
        }
        pending.remove(id)
        let promises = waiters.removeValue(forKey: id) ?? []
        lock.unlock()
        for promise in promises { promise.fulfil(result) }
    }

    /// Drops the oldest results until both bounds hold. Called with the lock held.
    private func evict() {
        while results.count > capacity || totalBytes > maxBytes, head < order.count {
            let (id, slot) = order[head]
            head += 1
            if let entry = results[id], entry.slot == slot {
                results[id] = nil
                totalBytes -= entry.bytes
            }
        }
        // Spent and replaced slots: dropped once they are most of the list.
        if order.count - head > 2 * results.count + 1_024 {
            order = order[head...].filter { results[$0.id]?.slot == $0.slot }
            head = 0
        } else if head > 1_024 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }

    /// A promise for `id`'s result, registered now: call it before producing the
    /// event, so that a result arriving before the caller waits is not missed.
    public func expect(_ id: String) -> ResultPromise {
        let promise = ResultPromise()
        lock.lock()
        if let known = results[id]?.result {
            lock.unlock()
            promise.fulfil(known)
            return promise
        }
        waiters[id, default: []].append(promise)
        lock.unlock()
        return promise
    }

    /// Forgets a promise that timed out.
    public func abandon(_ promise: ResultPromise, for id: String) {
        lock.lock()
        waiters[id]?.removeAll { $0 === promise }
        if waiters[id]?.isEmpty == true { waiters[id] = nil }
        lock.unlock()
    }
}

/// One waiter's result: fulfilled once; `value(timeoutMs:)` suspends until then or the
/// timeout. The timer is cancelled as soon as the result arrives, so answered predicts
/// leave no sleeping task behind (`ResultPromise.liveTimers`).
public final class ResultPromise: @unchecked Sendable {
    private let lock = NSLock()
    private var result: EventResult?
    private var continuation: CheckedContinuation<EventResult?, Never>?
    private var timer: Task<Void, Never>?
    private var finished = false

    /// Timers of waiting promises alive in this process (a gauge on /metrics).
    public static var liveTimers: Int { timers.value }
    private static let timers = LiveCount()

    func fulfil(_ value: EventResult) {
        lock.lock()
        guard !finished else {
            lock.unlock()
            return
        }
        if let continuation {
            finished = true
            self.continuation = nil
            let timer = self.timer
            self.timer = nil
            lock.unlock()
            timer?.cancel()
            continuation.resume(returning: value)
        } else {
            result = value
            lock.unlock()
        }
    }

    /// The result, or nil when `timeoutMs` passes first.
    public func value(timeoutMs: Int) async -> EventResult? {
        await withCheckedContinuation { (continuation: CheckedContinuation<EventResult?, Never>) in
            lock.lock()
            if let result {
                finished = true
                lock.unlock()
                continuation.resume(returning: result)
                return
            }
            self.continuation = continuation
            Self.timers.add(1)
            timer = Task { [weak self] in
                defer { Self.timers.add(-1) }
                do {
                    try await Task.sleep(nanoseconds: UInt64(timeoutMs) * 1_000_000)
                } catch {
                    return  // cancelled: answered
                }
                self?.expire()
            }
            lock.unlock()
        }
    }

    private func expire() {
        lock.lock()
        guard !finished, let continuation else {
            lock.unlock()
            return
        }
        finished = true
        self.continuation = nil
        timer = nil
        lock.unlock()
        continuation.resume(returning: nil)
    }
}

/// A thread-safe counter.
final class LiveCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add(_ delta: Int) { lock.withLock { count += delta } }
    /// Adds one unless that would pass `limit`.
    func enter(limit: Int) -> Bool {
        lock.withLock {
            guard count < limit else { return false }
            count += 1
            return true
        }
    }
}
