import Logging
import Metrics
import Prometheus
import SluiceHTTP
import SluiceLifecycle
import SluicePipeline

/// The process's swift-metrics backend: a Prometheus registry, bootstrapped on first
/// use. `MetricsSystem.bootstrap` is process-wide and may run once, so it happens
/// here, in what an executable runs as its main (`sluice`, a stage package's worker), and never in a library: libraries record through the
/// global swift-metrics API (or a `MetricsFactory` they are given) and export nothing.
/// A command that exports metrics reads `registry` before it builds what records
/// them (handles made before the bootstrap stay no-ops).
public enum MetricsExport {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets[WorkerMetricNames.batchSize] = WorkerMetricNames.batchSizeBuckets
        factory.durationHistogramBuckets[WorkerMetricNames.stepTime] = WorkerMetricNames.stepTimeBuckets
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// The exposition text (Prometheus text format 0.0.4) of everything recorded so far.
    public static func text() -> String { registry.emitToString() }

    /// GET /metrics with this process's metrics, as a service: it binds when the group
    /// starts it (a port in use fails the command) and logs its address.
    public static func service(host: String, port: Int, logger: Logger) -> BlockingService {
        let server = MetricsServer(host: host, port: port, logger: logger) { text() }
        return BlockingService.started("metrics", start: { try server.start() }, stop: { server.stop() })
    }
}
