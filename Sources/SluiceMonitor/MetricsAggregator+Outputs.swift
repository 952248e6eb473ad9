/// Shortcuts for the monitor loop: the current figures are the first (shortest) window's.
extension MetricsAggregator {
    public func currentSnapshot(now: Int64) -> MetricsSnapshot {
        snapshot(windowSeconds: windowsSeconds.first, now: now)
    }

    public func prometheusText(now: Int64) -> String {
        PrometheusText.render(current: currentSnapshot(now: now), sinceStart: snapshot(windowSeconds: nil, now: now))
    }

    public func tableText(now: Int64) -> String {
        MetricsTable.render(currentSnapshot(now: now))
    }
}
