import Metrics
import Prometheus
import SluicePipeline

/// The process's swift-metrics backend: a Prometheus registry, bootstrapped on first
/// use. `MetricsSystem.bootstrap` is process-wide and may run once, so it happens
/// here, in the executable, and never in a library: libraries record through the
/// global swift-metrics API (or a `MetricsFactory` they are given) and export nothing.
/// A command that exports metrics reads `registry` before it builds what records
/// them (handles made before the bootstrap stay no-ops).
enum MetricsExport {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets[WorkerMetricNames.batchSize] = WorkerMetricNames.batchSizeBuckets
        factory.durationHistogramBuckets[WorkerMetricNames.stepTime] = WorkerMetricNames.stepTimeBuckets
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// The exposition text (Prometheus text format 0.0.4) of everything recorded so far.
    static func text() -> String { registry.emitToString() }
}
