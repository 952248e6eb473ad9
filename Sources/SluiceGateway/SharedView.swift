import Foundation

/// A value that is expensive to build (it reads the broker) served to any number of
/// requests: it is rebuilt at most once per `maxAge` seconds, by one request at a
/// time; while one rebuilds, the others get the previous value at once (or, before
/// the first value exists, wait for that first build). Thread-safe.
final class SharedView<Value: Sendable>: @unchecked Sendable {
    private let maxAge: TimeInterval
    private let build: @Sendable () -> Value
    private let lock = NSLock()
    private var last: (at: Date, value: Value)?
    private var building = false
    private var waiting: [CheckedContinuation<Value, Never>] = []
    private(set) var builds = 0

    init(maxAge: TimeInterval, build: @escaping @Sendable () -> Value) {
        self.maxAge = maxAge
        self.build = build
    }

    /// The value, with when it was built.
    private enum Step {
        case have(Value, Date)
        case rebuild
        case wait
    }

    func get() async -> (value: Value, at: Date) {
        let step: Step = lock.withLock {
            if let last, Date().timeIntervalSince(last.at) < maxAge { return .have(last.value, last.at) }
            if building { return last.map { .have($0.value, $0.at) } ?? .wait }
            building = true
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
        case .rebuild:
            let build = self.build
            let value = await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: build()) }
            }
            let now = Date()
            let waiters = lock.withLock { () -> [CheckedContinuation<Value, Never>] in
                last = (now, value)
                building = false
                builds += 1
                defer { waiting = [] }
                return waiting
            }
            for waiter in waiters { waiter.resume(returning: value) }
            return (value, now)
        }
    }
}
