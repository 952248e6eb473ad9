import Foundation
import SluiceWorkflow

/// Draws the demo's live view: a full redraw each second on a terminal, a
/// status line every few seconds otherwise (logs, CI).
struct DemoScreen {
    let workflow: Workflow
    let brokers: String
    let embedded: Bool
    let supervisor: WorkerSupervisor
    let interactive = isatty(STDOUT_FILENO) != 0
    private let last = LastFigures()

    func draw(view: LiveView.Figures, sent: Int, uptime: TimeInterval) {
        let (inRate, outRate) = last.rates(sent: sent, out: view.out)
        let latency = view.p50.map { String(format: "p50 %.0f ms  p99 %.0f ms", $0, view.p99 ?? 0) } ?? "waiting for the first events"
        if !interactive {
            if Int(uptime) % 5 == 0 {
                print(String(format: "[%5.0fs] in %d (%.1f/s)  out %d (%.1f/s)  dead letters %d  %@",
                             uptime, sent, inRate, view.out, outRate, view.dead, latency))
            }
            return
        }
        var lines: [String] = []
        lines.append("Sluice  workflow \(workflow.name) on \(brokers)\(embedded ? " (embedded broker)" : "")   up \(Int(uptime)) s")
        lines.append("workers: " + supervisor.perStage.map { "\($0.stage) x\($0.count)" }.joined(separator: ", ")
                     + "   logs: \(supervisor.logDirectory.path)")
        lines.append("")
        lines.append(String(format: "in   %7.1f events/s   (%d fed)", inRate, sent))
        lines.append(String(format: "out  %7.1f events/s   (%d scored)   dead letters %d", outRate, view.out, view.dead))
        lines.append("end-to-end latency: \(latency)")
        lines.append("")
        lines.append("last scored posts (sentiment score, topic, latency):")
        for post in view.recent.reversed() {
            let text = post.text.replacingOccurrences(of: "\n", with: " ")
            lines.append(String(format: "  %+.2f  %-11@ %5.0f ms  %@", post.score, post.label as NSString, post.latencyMs,
                                String(text.prefix(70)) as NSString))
        }
        lines.append("")
        lines.append("Ctrl-C stops everything cleanly.")
        FileHandle.standardOutput.write(Data(("\u{1B}[H\u{1B}[2J" + lines.joined(separator: "\n") + "\n").utf8))
    }
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
