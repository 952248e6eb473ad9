import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import ServiceLifecycle

/// A Hummingbird HTTP/1.1 server run from synchronous code: `start()` returns once the
/// socket is bound (with the port actually bound, useful with port 0 = any free port),
/// `stop()` shuts it down gracefully. The caller adds its routes to the router. The
/// server installs no signal handlers: the command that runs it owns SIGINT/SIGTERM.
/// The monitor's /metrics and the gateway both serve through it; it lives apart from
/// both so that neither has to link the other.
public final class HTTPServer: @unchecked Sendable {
    public let host: String
    public let requestedPort: Int
    /// What the server is for, in error messages ("metrics", "the gateway").
    public let purpose: String
    /// Seconds after which a connection with no request under way (or whose request
    /// head or body has stopped arriving) is closed; nil: never.
    public let idleTimeout: TimeInterval?
    /// Serve HTTPS with this certificate chain and key (PEM files); nil: plain HTTP.
    public let tls: TLSFiles?
    private let router: Router<PeerRequestContext>
    private let logger: Logger
    private let lock = NSLock()
    private var task: Task<Void, any Error>?
    private var group: ServiceGroup?
    private var boundPort: Int?

    public init(
        host: String, port: Int, purpose: String, idleTimeout: TimeInterval? = nil, tls: TLSFiles? = nil,
        logger: Logger, routes: (Router<PeerRequestContext>) -> Void
    ) {
        self.idleTimeout = idleTimeout
        self.tls = tls
        self.host = host
        self.requestedPort = port
        self.purpose = purpose
        self.logger = logger
        let router = Router(context: PeerRequestContext.self)
        routes(router)
        self.router = router
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
        let bound = DispatchSemaphore(value: 0)
        var quiet = logger
        quiet.logLevel = .warning
        var server: HTTPServerBuilder = .http1(
            configuration: .init(idleTimeout: idleTimeout.map { .milliseconds(Int64($0 * 1000)) }))
        if let tls { server = try .tls(server, tlsConfiguration: tls.configuration(purpose: purpose)) }
        let app = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(host, port: requestedPort), serverName: nil),
            onServerRunning: { [weak self] channel in
                if let self, let port = channel.localAddress?.port { self.setBoundPort(port) }
                bound.signal()
            },
            logger: quiet)
        let failure = LockedError()
        // A group of its own, so that stop() can shut it down gracefully.
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
            throw HTTPServerError(
                description: "cannot serve \(purpose) on \(host):\(requestedPort): \(reason) "
                    + "(is the port in use? choose another one, or 0 for any free port)")
        }
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

/// A certificate chain and its private key, PEM files, for serving HTTPS.
public struct TLSFiles: Sendable, Equatable {
    public var certificate: String
    public var key: String

    public init(certificate: String, key: String) {
        self.certificate = certificate
        self.key = key
    }

    /// Reads both files now, so that a bad one stops a command before it connects anywhere.
    public func check(purpose: String) throws { _ = try configuration(purpose: purpose) }

    /// Reads both files; the error names the file and what to give instead.
    func configuration(purpose: String) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw HTTPServerError(
                description: "cannot serve \(purpose) over TLS: '\(certificate)' is not a readable PEM certificate "
                    + "(\(error)); give the server's certificate chain with --tls-cert")
        }
        guard !chain.isEmpty else {
            throw HTTPServerError(description: "'\(certificate)' holds no certificate: give a PEM certificate chain")
        }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw HTTPServerError(
                description: "cannot serve \(purpose) over TLS: '\(key)' is not a readable PEM private key "
                    + "(\(error)); give the certificate's key with --tls-key")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }
}
