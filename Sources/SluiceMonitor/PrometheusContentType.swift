/// The Content-Type of Prometheus text exposition (format 0.0.4), which `PrometheusWriter`
/// produces; the monitor's /metrics and the gateway's both send it.
public enum PrometheusContentType {
    public static let value = "text/plain; version=0.0.4; charset=utf-8"
}
