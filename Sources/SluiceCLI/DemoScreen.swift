import Foundation
import SluiceBroker
import SluiceJSON
import SluiceKafka
import SluiceSupervision
import SluiceWorkflow

/// Draws the demo's live view: a full redraw each second on a terminal, a
/// status line every few seconds otherwise (logs, CI).
struct DemoScreen {
    let workflow: Workflow
    let brokers: String
    /// The embedded broker, when `sluice up` runs one: its memory is on the screen (it keeps every record).
    let embedded: EmbeddedBroker?
    let supervisor: WorkerSupervisor
    /// The gateway's address (dashboard at `/`), when `sluice up` runs one.
    let gateway: String?
    /// With `--autoscale`: its last decisions go on the screen.
    let autoscaler: UpAutoscaler?
    let interactive = isatty(STDOUT_FILENO) != 0
    private let last = LastFigures()

    func draw(view: LiveView.Figures, sent: Int, uptime: TimeInterval, monitorTable: String?) {
        let (inRate, outRate) = last.rates(sent: sent, out: view.out)
        let latency =
            view.p50.map { String(format: "p50 %.0f ms  p99 %.0f ms", $0, view.p99 ?? 0) }
            ?? "waiting for the first events"
        if !interactive {
            if Int(uptime) % 5 == 0 {
                let memory = embedded?.residentBytes.map { "  broker \($0 / 1_000_000) MB" } ?? ""
                print(
                    String(
                        format: "[%5.0fs] in %d (%.1f/s)  out %d (%.1f/s)  dead letters %d  %@%@",
                        uptime, sent, inRate, view.out, outRate, view.dead, latency, memory))
                fflush(nil)  // a log file or pipe (CI, the soak script) reads it as it comes
            }
            return
        }
        var lines: [String] = []
        let brokerMemory = embedded?.residentBytes.map { ", \($0 / 1_000_000) MB" } ?? ""
        lines.append(
            "Sluice  workflow \(workflow.name) on \(brokers)\(embedded != nil ? " (embedded broker\(brokerMemory))" : "")   up \(Int(uptime)) s"
        )
        lines.append(
            "workers: "
                + supervisor.perStage.map {
                    "\($0.stage) x\($0.count)" + ($0.restarts > 0 ? " (\($0.restarts) restarts)" : "")
                }
                .joined(separator: ", ") + "   logs: \(supervisor.logDirectory.path)")
        for worker in supervisor.crashLooping {
            lines.append(
                "  \(worker.name) keeps crashing (\(worker.crashes) in a row, last: \(worker.exit)); restarts back off up to 30 s"
            )
            for line in worker.lines { lines.append("    | " + String(line.prefix(100))) }
        }
        if let autoscaler {
            let recent = autoscaler.recent.suffix(4)
            lines.append("autoscale: " + (recent.isEmpty ? "no change yet" : "last \(recent.count) decisions"))
            for decision in recent.reversed() {
                lines.append("  \(clockTime(decision.at))  \(decision.summary)")
            }
        }
        if let gateway { lines.append("dashboard and HTTP API: \(gateway)/   (OpenAPI: \(gateway)/openapi.json)") }
        lines.append("")
        lines.append(String(format: "in   %7.1f events/s   (%d fed)", inRate, sent))
        lines.append(
            String(format: "out  %7.1f events/s   (%d scored)   dead letters %d", outRate, view.out, view.dead))
        lines.append("end-to-end latency: \(latency)")
        lines.append("")
        lines.append("last scored posts (sentiment score, topic, latency):")
        for post in view.recent.reversed() {
            let text = post.text.replacingOccurrences(of: "\n", with: " ")
            lines.append(
                "  " + String(format: "%+.2f", post.score) + "  " + padded(post.label, 11)
                    + String(format: "%5.0f ms  ", post.latencyMs) + String(text.prefix(70)))
        }
        if let monitorTable {
            lines.append("")
            lines.append(
                "monitor (per stage: throughput, processing time d, batch, lag, replicas vs advice; per hop: delays):")
            lines.append(monitorTable)
        }
        lines.append("")
        lines.append("sentiment trends (last closed \(workflow.monitor.trendWindowSeconds) s window per topic):")
        if view.trends.isEmpty {
            lines.append("  (the first window closes \(workflow.monitor.trendWindowSeconds) s after the first events)")
        }
        for (label, window) in view.trends.sorted(by: { $0.key < $1.key }) {
            lines.append(
                "  " + padded(label, 11)
                    + String(
                        format: " n=%-5d mean %+.2f   negative %3.0f%%   positive %3.0f%%",
                        window["count"]?.intValue ?? 0, window["mean_score"]?.doubleValue ?? 0,
                        100 * (window["negative_share"]?.doubleValue ?? 0),
                        100 * (window["positive_share"]?.doubleValue ?? 0)))
        }
        lines.append("alerts: " + (view.alerts.isEmpty ? "none so far" : view.alerts.joined(separator: "; ")))
        lines.append("")
        lines.append("Ctrl-C stops everything cleanly.")
        FileHandle.standardOutput.write(Data(("\u{1B}[H\u{1B}[2J" + lines.joined(separator: "\n") + "\n").utf8))
    }
}

private func clockTime(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "HH:mm:ss"
    return formatter.string(from: date)
}

private func padded(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

/// The previous counts, to turn totals into per-second rates.
final class LastFigures: @unchecked Sendable {
    private var sent = 0
    private var out = 0
    private var at = Date()

    func rates(sent: Int, out: Int) -> (Double, Double) {
        let now = Date()
        let seconds = max(now.timeIntervalSince(at), 0.001)
        defer {
            self.sent = sent
            self.out = out
            at = now
        }
        return (Double(sent - self.sent) / seconds, Double(out - self.out) / seconds)
    }
}
