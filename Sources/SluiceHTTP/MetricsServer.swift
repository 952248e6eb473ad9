import Foundation
import Hummingbird
import Logging

/// Serves `GET /metrics` (Prometheus text exposition, format 0.0.4) and `GET /healthz`.
/// Binds to 127.0.0.1 unless told otherwise: the figures name topics and groups, so
/// exposing them is the operator's choice.
public final class MetricsServer: @unchecked Sendable {
    private let server: HTTPServer
    private let logger: Logger

    /// - Parameter body: the exposition text, asked on every request (e.g.
    ///   `monitor.prometheusText`); must be cheap and thread-safe.
    public init(
        host: String = "127.0.0.1", port: Int, logger: Logger = Logger(label: "sluice.monitor.http"),
        body: @escaping @Sendable () -> String
    ) {
        self.logger = logger
        server = HTTPServer(host: host, port: port, purpose: "metrics", logger: logger) { router in
            router.get("metrics") { _, _ -> Response in
                Response(
                    status: .ok, headers: [.contentType: PrometheusContentType.value],
                    body: .init(byteBuffer: ByteBuffer(string: body())))
            }
            router.get("healthz") { _, _ -> Response in
                Response(
                    status: .ok, headers: [.contentType: "text/plain"],
                    body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
            }
        }
    }

    public var host: String { server.host }
    public var requestedPort: Int { server.requestedPort }
    /// The port the server listens on, once started.
    public var port: Int? { server.port }

    /// Starts serving in the background; waits up to `timeout` s for the bind.
    @discardableResult
    public func start(timeout: TimeInterval = 10) throws -> Int {
        let port = try server.start(timeout: timeout)
        logger.info("serving Prometheus metrics at http://\(host):\(port)/metrics")
        return port
    }

    public func stop(timeout: TimeInterval = 5) { server.stop(timeout: timeout) }
}
