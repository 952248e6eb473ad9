/// The Content-Type of Prometheus text exposition (format 0.0.4): what every /metrics
/// of Sluice sends (workers', the monitor's and the gateway's).
public enum PrometheusContentType {
    public static let value = "text/plain; version=0.0.4; charset=utf-8"
}
