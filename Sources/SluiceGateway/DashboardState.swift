import Foundation
import SluiceEvents
import SluiceJSON
import SluiceMonitor
import SluiceWorkflow

/// The gateway's own part of what the dashboard draws, built from the results it
/// follows (so it needs no monitor): sentiment per label over short tumbling windows,
/// and end-to-end latency sampled every few seconds. The monitor's part is `MonitorView`.
/// Thread-safe; the follower calls `record` and `tick`, HTTP handlers call `json`.
public final class DashboardState: @unchecked Sendable {
    public let windowSeconds: Int
    public let history: Int
    private let lock = NSLock()
    private var trends: TrendAggregator
    private var metrics: MetricsAggregator
    private var windows: [TrendWindow] = []
    private var latency: [LatencySample] = []
    private var lastSample: Int64 = 0
    private var results = 0
    private var deadLetters = 0

    struct LatencySample {
        var at: Int64
        var p50Ms: Double
        var p99Ms: Double
        var eventsPerSecond: Double
    }

    /// - Parameters:
    ///   - windowSeconds: width of a trend window (short: the page is live).
    ///   - history: closed windows kept per label, and latency samples kept.
    public init(workflow: Workflow, windowSeconds: Int = 5, history: Int = 120, now: Int64 = EventClock.nowMicros()) {
        self.windowSeconds = windowSeconds
        self.history = history
        trends = TrendAggregator(windowSeconds: windowSeconds, surge: workflow.monitor.surge, latenessSeconds: 2)
        metrics = MetricsAggregator(
            stages: workflow.stages.map(\.name), windowsSeconds: [10],
            targetUtilisation: workflow.monitor.targetUtilisation,
            startedAt: now)
    }

    public func record(_ envelope: Envelope, now: Int64) {
        lock.lock()
        trends.record(envelope)
        metrics.record(envelope, now: now)
        results += 1
        lock.unlock()
    }

    public func recordDeadLetter() {
        lock.lock()
        deadLetters += 1
        lock.unlock()
    }

    /// Closes trend windows that are due and takes a latency sample every 2 s.
    public func tick(now: Int64) {
        lock.lock()
        defer { lock.unlock() }
        windows += trends.advance(now: now).windows
        let labels = Set(windows.map(\.label))
        if windows.count > history * max(1, labels.count) {
            windows.removeFirst(windows.count - history * max(1, labels.count))
        }
        guard now - lastSample >= 2_000_000 else { return }
        lastSample = now
        let snapshot = metrics.snapshot(windowSeconds: 10, now: now)
        guard snapshot.endToEnd.count > 0 else { return }
        latency.append(
            LatencySample(
                at: now, p50Ms: Double(snapshot.endToEnd.p50) / 1000, p99Ms: Double(snapshot.endToEnd.p99) / 1000,
                eventsPerSecond: snapshot.spanSeconds > 0 ? Double(snapshot.events) / snapshot.spanSeconds : 0))
        if latency.count > history { latency.removeFirst(latency.count - history) }
    }

    public func json() -> JSONValue {
        lock.lock()
        defer { lock.unlock() }
        let labels = Set(windows.compactMap(\.label)).sorted()
        return .object([
            "window_s": .int(Int64(windowSeconds)),
            "results": .int(Int64(results)),
            "dead_letters": .int(Int64(deadLetters)),
            "labels": .array(labels.map(JSONValue.string)),
            "trends": .array(
                windows.map { window in
                    .object([
                        "label": window.label.map(JSONValue.string) ?? .string("all"),
                        "start": .int(window.start), "end": .int(window.end), "count": .int(Int64(window.count)),
                        "mean_score": .double(window.meanScore), "negative_share": .double(window.negativeShare),
                        "positive_share": .double(window.positiveShare),
                    ])
                }),
            "latency": .array(
                latency.map { sample in
                    .object([
                        "at": .int(sample.at), "p50_ms": .double(sample.p50Ms), "p99_ms": .double(sample.p99Ms),
                        "events_per_s": .double(sample.eventsPerSecond),
                    ])
                }),
        ])
    }
}
