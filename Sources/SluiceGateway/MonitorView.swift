import Foundation
import SluiceJSON

/// What the dashboard shows of the monitor's own topics (metrics, alerts, trends), kept
/// from the records `MonitorFollower` reads. Bounded: the latest metrics record per
/// window, the last `alertHistory` alert transitions and the last `trendHistory` trend
/// windows; the alerts firing now are those whose last transition in what was read is
/// `firing` (a rule that started firing before the follower's backfill is not known).
/// Thread-safe: the follower calls `record`, HTTP handlers `snapshot`.
final class MonitorView: @unchecked Sendable {
    enum Kind: Sendable { case metrics, alerts, trends }

    struct Snapshot: Sendable {
        /// The newest metrics record of the shortest window (the one alerts look at).
        var metrics: JSONValue?
        var alertHistory: [JSONValue]
        var firing: [JSONValue]
        var trends: [JSONValue]
        var records: Int
        var undecodable: Int
    }

    let alertHistory: Int
    let trendHistory: Int
    private let lock = NSLock()
    private var metricsByWindow: [String: JSONValue] = [:]
    private var alerts: [JSONValue] = []
    /// "rule\u{0}subject" -> its firing transition, in the order they started.
    private var firing: [(key: String, value: JSONValue)] = []
    private var trends: [JSONValue] = []
    private var records = 0
    private var undecodable = 0

    init(alertHistory: Int = 200, trendHistory: Int = 720) {
        self.alertHistory = alertHistory
        self.trendHistory = trendHistory
    }

    func record(_ kind: Kind, _ bytes: [UInt8]) {
        guard let value = try? JSONValue.parse(bytes), case .object = value else {
            lock.withLock { undecodable += 1 }
            return
        }
        lock.lock()
        defer { lock.unlock() }
        records += 1
        switch kind {
        case .metrics:
            guard value["stages"]?.arrayValue != nil else { return }
            let window = value["window"]?.stringValue ?? "?"
            // Records can arrive out of order after a reconnect: keep the newest.
            if (metricsByWindow[window]?["at"]?.intValue ?? Int.min) <= (value["at"]?.intValue ?? Int.min) {
                metricsByWindow[window] = value
            }
        case .alerts:
            guard let rule = value["rule"]?.stringValue else { return }
            alerts.append(value)
            if alerts.count > alertHistory { alerts.removeFirst(alerts.count - alertHistory) }
            let key = rule + "\u{0}" + (value["subject"]?.stringValue ?? "")
            firing.removeAll { $0.key == key }
            if value["state"]?.stringValue == "firing" { firing.append((key, value)) }
        case .trends:
            trends.append(value)
            if trends.count > trendHistory { trends.removeFirst(trends.count - trendHistory) }
        }
    }

    func snapshot() -> Snapshot {
        lock.lock()
        defer { lock.unlock() }
        // The shortest window with a length (the all-time one has none).
        let metrics = metricsByWindow.values.min { a, b in
            (a["window_s"]?.intValue ?? Int.max) < (b["window_s"]?.intValue ?? Int.max)
        }
        return Snapshot(
            metrics: metrics, alertHistory: alerts, firing: firing.map(\.value), trends: trends, records: records,
            undecodable: undecodable)
    }
}
