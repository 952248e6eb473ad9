import Foundation
import Logging
import ServiceLifecycle

/// A component whose work is a blocking loop: `run()` returns once `stop()` was
/// called (after finishing what it has in hand) or throws when it cannot go on.
/// `stop()` may come from any thread, before `run()` started too, and must be sticky.
public protocol BlockingRunnable: AnyObject, Sendable {
    func run() throws
    func stop()
}

/// The one adapter between Sluice's blocking components (Kafka loops on librdkafka's
/// blocking calls) and swift-service-lifecycle: it runs a blocking `run()` on a thread
/// of its own and calls `stop()` on graceful shutdown or task cancellation, then waits
/// for `run()` to return. Its error, if any, is the service's error, so the group
/// reports it. `start()` runs the same thing outside a `ServiceGroup`, for callers
/// that are not async (a worker's head watcher and registry announcer).
public struct BlockingService: Service, CustomStringConvertible {
    public let description: String
    private let body: @Sendable () throws -> Void
    private let halt: @Sendable () -> Void

    /// - Parameters:
    ///   - name: for logs, errors and the thread's name.
    ///   - run: the blocking work.
    ///   - stop: makes `run` return; sticky (it may come first).
    public init(_ name: String, run: @escaping @Sendable () throws -> Void, stop: @escaping @Sendable () -> Void) {
        description = name
        body = run
        halt = stop
    }

    public init(_ name: String, _ component: some BlockingRunnable) {
        self.init(name, run: { try component.run() }, stop: { component.stop() })
    }

    /// For a component that serves in the background once started (an HTTP server):
    /// `start` (which throws when it cannot, e.g. a port in use), then wait for the
    /// shutdown, then `stop`.
    public static func started(
        _ name: String, start: @escaping @Sendable () throws -> Void, stop: @escaping @Sendable () -> Void
    ) -> BlockingService {
        let shutdown = Latch()
        return BlockingService(
            name,
            run: {
                try start()
                shutdown.wait()
                stop()
            },
            stop: { shutdown.open() })
    }

    public func run() async throws {
        let body = self.body
        let name = description
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                Self.thread(name) {
                    do {
                        try body()
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        } onCancelOrGracefulShutdown: { [halt] in
            halt()
        }
    }

    /// Runs the work on its own thread now, outside any group; `Running.stop()` ends it.
    public func start() -> Running {
        let running = Running(halt: halt)
        Self.thread(description) { [body] in
            do { try body() } catch { running.failed(error) }
            running.finished()
        }
        return running
    }

    /// A thread with the main thread's stack size (steps run models on it).
    private static func thread(_ name: String, _ work: @escaping @Sendable () -> Void) {
        let thread = Thread(block: work)
        thread.name = "sluice.\(name)"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// A `BlockingService` started with `start()`.
    public final class Running: @unchecked Sendable {
        private let halt: @Sendable () -> Void
        private let done = Latch()
        private let lock = NSLock()
        private var failure: (any Error)?

        fileprivate init(halt: @escaping @Sendable () -> Void) { self.halt = halt }

        fileprivate func failed(_ error: any Error) { lock.withLock { failure = error } }
        fileprivate func finished() { done.open() }

        /// The error `run()` threw, once it returned.
        public var error: (any Error)? { lock.withLock { failure } }

        /// Asks the work to stop and waits until it returned.
        public func stop() {
            halt()
            done.wait()
        }
    }
}

/// Shut once, open forever: a stop request that loops sleep on. `wait` returns at
/// once after `open()`, from any thread, for every waiter.
public final class Latch: @unchecked Sendable {
    private let condition = NSCondition()
    private var opened = false

    public init() {}

    public func open() {
        condition.lock()
        opened = true
        condition.broadcast()
        condition.unlock()
    }

    public var isOpen: Bool {
        condition.lock()
        defer { condition.unlock() }
        return opened
    }

    public func wait() {
        condition.lock()
        while !opened { condition.wait() }
        condition.unlock()
    }

    /// Waits up to `seconds`; true when the latch opened (stop), false when the time ran out.
    public func wait(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while !opened {
            if !condition.wait(until: deadline) { return opened }
        }
        return true
    }
}

/// How every command runs its services: one `ServiceGroup` that owns SIGINT and
/// SIGTERM (either starts the graceful shutdown: services stop in reverse order of
/// the list) and ends the whole group when any service returns or throws. An error
/// is logged here and thrown to the command, which prints it and exits non-zero.
/// A service that returns (its work done) or throws also shuts the group down
/// gracefully, in the same order, so the others still finish what they hold.
public enum ServiceRunner {
    public static func run(_ services: [any Service], logger: Logger) async throws {
        let configurations = services.map {
            ServiceGroupConfiguration.ServiceConfiguration(
                service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup)
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: configurations, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            logger.error("\(error)")
            throw error
        }
    }

    /// `run` for callers that are not async (a command's `run()`): blocks this thread
    /// until the group has finished, and throws its error.
    public static func runBlocking(_ services: [any Service], logger: Logger) throws {
        let outcome = Outcome()
        // Detached: the caller may hold the main actor's thread while it waits.
        Task.detached {
            do {
                try await run(services, logger: logger)
                outcome.finish(nil)
            } catch {
                outcome.finish(error)
            }
        }
        if let error = outcome.wait() { throw error }
    }

    /// For the commands whose work is a loop on the calling thread (produce, consume,
    /// dlq, broker, up's screen): runs `services` in one group that owns SIGINT and
    /// SIGTERM, beside the caller. The group's shutdown, whether from a signal or from a
    /// service that returned or threw, opens `Shutdown.stop`, which the loop reads to end
    /// early and cleanly; the caller then calls `finish()`, which lets the group stop the
    /// services (in reverse order) and returns the group's error, already logged.
    public static func alongside(_ services: [any Service] = [], logger: Logger) -> Shutdown {
        let shutdown = Shutdown()
        let outcome = shutdown.outcome
        let (stop, done) = (shutdown.stop, shutdown.done)
        let caller = BlockingService("caller", run: { done.wait() }, stop: { stop.open() })
        Task.detached {
            do {
                try await run(services + [caller], logger: logger)
                outcome.finish(nil)
            } catch {
                outcome.finish(error)
            }
            stop.open()
        }
        return shutdown
    }

    /// See `alongside(_:logger:)`.
    public final class Shutdown: Sendable {
        /// Opened on SIGINT / SIGTERM, or when a service ended the group.
        public let stop = Latch()
        fileprivate let done = Latch()
        fileprivate let outcome = Outcome()

        /// Ends the group (idempotent), waits for it and returns its error.
        @discardableResult
        public func finish() -> (any Error)? {
            done.open()
            return outcome.wait()
        }
    }

    fileprivate final class Outcome: @unchecked Sendable {
        private let finished = Latch()
        private let lock = NSLock()
        private var error: (any Error)?

        func finish(_ error: (any Error)?) {
            lock.withLock { self.error = error }
            finished.open()
        }

        func wait() -> (any Error)? {
            finished.wait()
            return lock.withLock { error }
        }
    }
}
