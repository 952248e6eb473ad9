import Foundation

/// A value that is expensive to build (it reads the broker) served to any number of
/// requests: it is rebuilt at most once per `maxAge` seconds, one build at a time.
/// Once it is older than that, the next request starts a rebuild and either waits for
/// it (`waitsForFresh`: readiness, which must not answer from the past) or gets the
/// previous value at once (status); requests during a rebuild get the previous
/// value, and before the first value exists they wait for it. Thread-safe.
final class SharedView<Value: Sendable>: @unchecked Sendable {
    private let maxAge: TimeInterval
    private let waitsForFresh: Bool
    private let build: @Sendable () -> Value
    /// Builds block on the broker for up to seconds: on a queue of their own (a serial
    /// queue gets its own thread), never on Dispatch's shared, width-limited queue,
    /// which would leave request handlers without threads meanwhile.
    private let queue = DispatchQueue(label: "sluice.gateway.shared-view")
    private let lock = NSLock()
    private var last: (at: Date, value: Value)?
    private var building = false
    private var waiting: [CheckedContinuation<Value, Never>] = []
    private(set) var builds = 0

    init(maxAge: TimeInterval, waitsForFresh: Bool, build: @escaping @Sendable () -> Value) {
        self.maxAge = maxAge
        self.waitsForFresh = waitsForFresh
        self.build = build
    }

    /// The value, with when it was built.
    private enum Step {
        case have(Value, Date)
        case rebuild
        /// Serve this, and rebuild in the background.
        case refresh(Value, Date)
        case wait
    }

    func get() async -> (value: Value, at: Date) {
        let step: Step = lock.withLock {
            if let last, Date().timeIntervalSince(last.at) < maxAge { return .have(last.value, last.at) }
            if building { return last.map { .have($0.value, $0.at) } ?? .wait }
            building = true
            if let last, !waitsForFresh { return .refresh(last.value, last.at) }
            return .rebuild
        }
        switch step {
        case .have(let value, let at):
            return (value, at)
        case .wait:
            let value = await withCheckedContinuation { continuation in
                lock.lock()
                if let last, !building {
                    lock.unlock()
                    continuation.resume(returning: last.value)
                } else {
                    waiting.append(continuation)
                    lock.unlock()
                }
            }
            return (value, lock.withLock { last?.at ?? Date() })
        case .refresh(let value, let at):
            queue.async { [self] in finish(build()) }
            return (value, at)
        case .rebuild:
            let build = self.build
            let value = await withCheckedContinuation { continuation in
                queue.async { continuation.resume(returning: build()) }
            }
            return (value, finish(value))
        }
    }

    /// The last value at once, never waiting (nil before the first build ends); one
    /// that is older than `maxAge` starts a rebuild in the background. For pages that
    /// poll often and would rather show a figure a few seconds old than wait on the broker.
    func latest() -> (value: Value, at: Date)? {
        lock.lock()
        let current = last
        let rebuild = !building && (current.map { Date().timeIntervalSince($0.at) >= maxAge } ?? true)
        if rebuild { building = true }
        lock.unlock()
        if rebuild { queue.async { [self] in finish(build()) } }
        guard let current else { return nil }
        return (current.value, current.at)
    }

    /// The last value, never building one: for a hot path that must not make the view
    /// read the broker on its own account.
    func peek() -> (value: Value, at: Date)? {
        lock.lock()
        defer { lock.unlock() }
        guard let last else { return nil }
        return (last.value, last.at)
    }

    /// Starts the first build now, in the background, so that the first requests need not wait.
    func prime() {
        let start = lock.withLock { () -> Bool in
            guard last == nil, !building else { return false }
            building = true
            return true
        }
        if start { queue.async { [self] in finish(build()) } }
    }

    /// Stores a new value and hands it to the requests waiting for it.
    @discardableResult
    private func finish(_ value: Value) -> Date {
        let now = Date()
        let waiters = lock.withLock { () -> [CheckedContinuation<Value, Never>] in
            last = (now, value)
            building = false
            builds += 1
            defer { waiting = [] }
            return waiting
        }
        for waiter in waiters { waiter.resume(returning: value) }
        return now
    }
}
