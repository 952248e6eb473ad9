import Foundation
import SluiceJSON
import SluiceMonitor
import XCTest

final class PrometheusTextTests: XCTestCase {
    let t0 = Fixtures.t0
    let s = Fixtures.second

    private func sampleAggregator() -> MetricsAggregator {
        var aggregator = MetricsAggregator(stages: ["features", "topics"], startedAt: t0)
        aggregator.setReplicas(2, stage: "features")
        aggregator.observeLag(
            LagReport.compute(highWatermarks: [0: 10, 1: 5], committed: [0: 4, 1: 5]), stage: "features", now: t0)
        aggregator.record(
            Fixtures.envelope(
                created: t0,
                [
                    .init(stage: "features", consumed: t0 + 1_000, produced: t0 + 3_000, batch: 1, process: 2_000),
                    .init(stage: "topics", consumed: t0 + 4_000, produced: t0 + 4_500, batch: 1, process: 500),
                ]), now: t0 + s)
        return aggregator
    }

    /// Every sample line is `name{labels} value`; every sample's family has HELP and TYPE.
    func testExpositionLinesParse() throws {
        let text = sampleAggregator().prometheusText(now: t0 + s)
        let sample = try NSRegularExpression(
            pattern:
                #"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (NaN|[+-]Inf|[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)$"#
        )
        var typed: [String: String] = [:]
        var helped: Set<String> = []
        var samples = 0
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                XCTAssertEqual(parts.count, 4, line)
                XCTAssertTrue(["counter", "gauge", "summary", "histogram", "untyped"].contains(String(parts[3])), line)
                XCTAssertNil(typed[String(parts[2])], "TYPE given twice: \(line)")
                typed[String(parts[2])] = String(parts[3])
                continue
            }
            if line.hasPrefix("# HELP ") {
                helped.insert(String(line.split(separator: " ")[2]))
                continue
            }
            let range = NSRange(line.startIndex..., in: line)
            let match = try XCTUnwrap(sample.firstMatch(in: line, range: range), "not a sample line: \(line)")
            let name = String(line[Range(match.range(at: 1), in: line)!])
            let family =
                typed[name] != nil
                ? name
                : ["_sum", "_count", "_bucket"].compactMap { suffix in
                    name.hasSuffix(suffix) ? String(name.dropLast(suffix.count)) : nil
                }.first { typed[$0] == "summary" || typed[$0] == "histogram" }
            XCTAssertNotNil(family, "no TYPE line for \(name)")
            if let family { XCTAssertTrue(helped.contains(family), "no HELP for \(family)") }
            if typed[name] == "counter" { XCTAssertTrue(name.hasSuffix("_total"), name) }
            samples += 1
        }
        XCTAssertGreaterThan(samples, 30)
        XCTAssertTrue(
            text.contains("sluice_stage_processing_seconds{stage=\"features\",quantile=\"0.99\"} 0.002\n"), text)
        XCTAssertTrue(
            text.contains("sluice_hop_delay_seconds{hop=\"features->topics\",quantile=\"0.5\"} 0.001\n"), text)
        XCTAssertTrue(text.contains("sluice_stage_replicas_needed{stage=\"features\"} 1\n"), text)
        XCTAssertTrue(text.contains("sluice_consumer_lag{stage=\"features\",partition=\"0\"} 6\n"), text)
        XCTAssertTrue(text.contains("sluice_stage_events_total{stage=\"topics\"} 1\n"), text)
        XCTAssertTrue(text.contains("sluice_end_to_end_seconds_count 1\n"), text)
    }

    func testLabelValuesAreEscaped() {
        var aggregator = MetricsAggregator(stages: ["we\"ird\\"], startedAt: t0)
        aggregator.recordDeadLetter(DeadLetterNotice(stage: "we\"ird\\", reason: "x", at: t0))
        XCTAssertTrue(
            aggregator.prometheusText(now: t0 + s).contains(#"sluice_stage_dead_letters_total{stage="we\"ird\\"} 1"#))
    }

    func testJSONAndTableCarryTheFigures() throws {
        let aggregator = sampleAggregator()
        let json = aggregator.currentSnapshot(now: t0 + s).json()
        XCTAssertEqual(json["window"]?.stringValue, "10s")
        XCTAssertEqual(json["end_to_end_us"]?["p99"]?.intValue, 4_500)
        XCTAssertEqual(json["stages"]?.arrayValue?.first?["lag"]?.intValue, 6)
        XCTAssertEqual(json["stages"]?.arrayValue?.first?["replicas"]?.intValue, 2)
        XCTAssertEqual(json["stages"]?.arrayValue?.last?["replicas"], .null)
        let table = aggregator.tableText(now: t0 + s)
        XCTAssertTrue(table.hasPrefix("window 10s"), table)
        XCTAssertTrue(table.contains("features->topics"), table)
        XCTAssertEqual(table.split(separator: "\n").count, 1 + 1 + 2 + 1 + 2, table)
    }

    /// Records for the metrics topic must survive json-c both ways, empty windows included.
    func testSnapshotRecordsRoundTripThroughJSON() throws {
        let aggregator = sampleAggregator()
        for snapshot in aggregator.snapshots(now: t0 + 100 * s) {
            let text = snapshot.json().serialized()
            let parsed = try JSONValue.parse(text)
            XCTAssertEqual(parsed["window"]?.stringValue, snapshot.windowName)
            XCTAssertEqual(parsed["events"]?.intValue, snapshot.events)
        }
        XCTAssertEqual(aggregator.snapshots(now: t0 + 100 * s).map(\.events), [0, 0, 1])
        let transition = AlertTransition(
            rule: "r", state: .firing, value: 2.5, threshold: 1, at: t0, subject: "features")
        XCTAssertEqual(try JSONValue.parse(transition.json().serialized())["state"]?.stringValue, "firing")
    }
}
