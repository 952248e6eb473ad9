import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// Serves `GET /metrics` (Prometheus text exposition, format 0.0.4) and `GET /healthz`
/// over HTTP/1.1 with Hummingbird. Binds to 127.0.0.1 unless told otherwise: the
/// figures name topics and groups, so exposing them is the operator's choice.
///
/// `start()` returns once the socket is bound (with the port actually bound, useful
/// with port 0 = any free port); `stop()` shuts the server down.
public final class MetricsServer: @unchecked Sendable {
    public let host: String
    public let requestedPort: Int
    private let body: @Sendable () -> String
    private let logger: Logger
    private let lock = NSLock()
    private var task: Task<Void, any Error>?
    private var group: ServiceGroup?
    private var boundPort: Int?

    /// - Parameter body: the exposition text, asked on every request (e.g.
    ///   `monitor.prometheusText`); must be cheap and thread-safe.
    public init(host: String = "127.0.0.1", port: Int, logger: Logger = Logger(label: "sluice.monitor.http"),
                body: @escaping @Sendable () -> String) {
        self.host = host
        self.requestedPort = port
        self.body = body
        self.logger = logger
    }

    /// The port the server listens on, once started.
    public var port: Int? {
        lock.lock()
        defer { lock.unlock() }
        return boundPort
    }

    private func setBoundPort(_ port: Int) {
        lock.lock()
        boundPort = port
        lock.unlock()
    }

    /// Starts serving in the background; waits up to `timeout` s for the bind.
    /// Throws when the address cannot be bound in time (port in use, bad host).
    @discardableResult
    public func start(timeout: TimeInterval = 10) throws -> Int {
        let router = Router()
        let body = self.body
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: body())))
        }
        router.get("healthz") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        let bound = DispatchSemaphore(value: 0)
        var quiet = logger
        quiet.logLevel = .warning
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: requestedPort), serverName: nil),
            onServerRunning: { [weak self] channel in
                if let self, let port = channel.localAddress?.port { self.setBoundPort(port) }
                bound.signal()
            },
            logger: quiet)
        let failure = LockedError()
        // Run in a group of its own so that stop() can shut it down gracefully (no signal
        // handlers: the command owns SIGINT/SIGTERM).
        let group = ServiceGroup(services: [app], logger: quiet)
        let task = Task {
            do {
                try await group.run()
            } catch {
                failure.set(error)
                bound.signal()
                throw error
            }
        }
        lock.lock()
        self.task = task
        self.group = group
        lock.unlock()
        guard bound.wait(timeout: .now() + timeout) == .success, let port = self.port else {
            task.cancel()
            let reason = failure.get().map { "\($0)" } ?? "timed out after \(timeout) s"
            throw MetricsServerError(description: "cannot serve metrics on \(host):\(requestedPort): \(reason)")
        }
        logger.info("serving Prometheus metrics at http://\(host):\(port)/metrics")
        return port
    }

    /// Shuts the server down gracefully (open requests finish); waits up to
    /// `timeout` s for it, then cancels it.
    public func stop(timeout: TimeInterval = 5) {
        lock.lock()
        let task = self.task
        let group = self.group
        self.task = nil
        self.group = nil
        lock.unlock()
        guard let task, let group else { return }
        let done = DispatchSemaphore(value: 0)
        Task {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
            done.signal()
        }
        if done.wait(timeout: .now() + timeout) == .timedOut { task.cancel() }
    }

    deinit { task?.cancel() }
}

public struct MetricsServerError: Error, CustomStringConvertible {
    public let description: String
}

private final class LockedError: @unchecked Sendable {
    private let lock = NSLock()
    private var error: (any Error)?
    func set(_ error: any Error) {
        lock.lock()
        self.error = error
        lock.unlock()
    }
    func get() -> (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return error
    }
}
