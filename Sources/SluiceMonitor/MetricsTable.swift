/// A compact table of one snapshot for a live terminal view (`sluice monitor --watch`).
public enum MetricsTable {
    public static func render(_ snapshot: MetricsSnapshot) -> String {
        var lines: [String] = []
        let e2e = snapshot.endToEnd
        lines.append(
            "window \(snapshot.windowName)  in \(rate(snapshot.arrivalRate))/s  done \(snapshot.events)  dead \(snapshot.deadLetters)"
                + "  e2e p50 \(ms(e2e.p50, e2e.count)) p99 \(ms(e2e.p99, e2e.count))"
                + "  efficiency \(snapshot.efficiency.map { percent($0) } ?? "-")")
        lines.append(row(["stage", "ev/s", "d p50", "d p99", "batch", "err", "lag", "repl", "need", "stall"]))
        for stage in snapshot.stages {
            let d = stage.processingPerEvent
            lines.append(
                row([
                    stage.stage, rate(stage.throughput), ms(d.p50, d.count), ms(d.p99, d.count),
                    stage.batchSize.count > 0 ? String(format1(stage.batchSize.mean)) : "-",
                    stage.errorRate.map { percent($0) } ?? "-", stage.lag.map { String($0.total) } ?? "-",
                    stage.replicas.map(String.init) ?? "-", stage.replicasNeeded.map(String.init) ?? "-",
                    "\(format1(stage.stallSeconds))s",
                ]))
        }
        lines.append(row(["hop", "p50", "p90", "p99", "max", "skewed"]))
        for hop in snapshot.hops {
            let delay = hop.delay
            lines.append(
                row([
                    hop.hop, ms(delay.p50, delay.count), ms(delay.p90, delay.count), ms(delay.p99, delay.count),
                    ms(delay.max, delay.count), String(hop.negativeClamped),
                ]))
        }
        if !snapshot.canaries.isEmpty {
            lines.append(
                row(["canary", "active", "canary", "events", "agree", "act p50", "can p50", "act mean", "can mean"]))
            for c in snapshot.canaries {
                lines.append(
                    row([
                        c.stage, c.activeVersion, c.canaryVersion, String(c.compared),
                        c.agreement.map { percent($0) } ?? "-",
                        score(c.activeScores.p50, c.activeScores.count),
                        score(c.canaryScores.p50, c.canaryScores.count),
                        score(c.activeScores.mean, c.activeScores.count),
                        score(c.canaryScores.mean, c.canaryScores.count),
                    ]))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func score(_ value: Double, _ count: Int) -> String {
        guard count > 0 else { return "-" }
        let hundredths = Int64((value * 100).rounded())
        let sign = hundredths < 0 ? "-" : ""
        let magnitude = abs(hundredths)
        return "\(sign)\(magnitude / 100).\(magnitude % 100 < 10 ? "0" : "")\(magnitude % 100)"
    }

    private static func row(_ cells: [String]) -> String {
        guard let first = cells.first else { return "" }
        return pad(first, 18) + cells.dropFirst().map { pad($0, 9, left: true) }.joined()
    }

    private static func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: Swift.max(1, width - text.count))
        return left ? fill + text : text + fill
    }

    private static func ms(_ micros: Int64, _ count: Int) -> String {
        count > 0 ? "\(format1(Double(micros) / 1_000))ms" : "-"
    }

    private static func rate(_ value: Double) -> String { format1(value) }
    private static func percent(_ value: Double) -> String { "\(format1(value * 100))%" }

    /// One decimal, without Foundation's locale-dependent formatting.
    static func format1(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        let whole = Int64(tenths / 10)
        let fraction = Int64(abs(tenths.truncatingRemainder(dividingBy: 10)))
        return (tenths < 0 && whole == 0 ? "-" : "") + "\(whole).\(fraction)"
    }
}
