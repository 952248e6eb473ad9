import Foundation
import SluiceTesting
import SluiceWorkflow
import XCTest

final class MonitorSpecTests: XCTestCase {

    func testShippedExampleHasAMonitorSection() throws {
        let workflow = try Workflow.load(
            path: PackagePaths.root.appendingPathComponent("topics/sentiment-monitoring.yaml").path)
        let monitor = workflow.monitor
        XCTAssertEqual(monitor.windowsSeconds, [10, 60])
        XCTAssertEqual(monitor.targetUtilisation, 0.7)
        XCTAssertEqual(monitor.metricsTopic, "metrics")
        XCTAssertEqual(monitor.alertsTopic, "alerts")
        XCTAssertEqual(monitor.trendsTopic, "trends")
        XCTAssertEqual(monitor.trendWindowSeconds, 30)
        XCTAssertEqual(
            monitor.rules.map(\.metric), [.p99EndToEndMs, .lag, .deadLetterRate, .stallSeconds, .stallSeconds])
        XCTAssertEqual(monitor.rules[1].stage, "features")
        XCTAssertEqual(monitor.rules[0].above, 2_000)
        XCTAssertEqual(monitor.surge.z, 3)
        XCTAssertEqual(monitor.surge.baselineWindows, 12)
        XCTAssertEqual(monitor.surge.minCount, 20)
    }

    static let base = """
        workflow: w
        topics:
          a: { partitions: 2 }
          b: { partitions: 2 }
          dlq: { partitions: 1 }
        input: a
        output: b
        dead_letter: dlq
        stages:
          - name: s
            task: passthrough
            input: a
            output: b
        monitor:
          windows_s: [10, 60]
          target_utilisation: 0.7
          metrics_topic: b
          rules:
            - { name: slow, metric: p99_end_to_end_ms, above: 2000 }
            - { name: backlog, metric: lag, stage: s, above: 100 }
          surge: { z: 3.0, baseline_windows: 12, min_count: 20 }
        """

    func testMinimalSectionParsesAndDefaultsWithout() throws {
        let workflow = try Workflow.parse(Self.base)
        XCTAssertEqual(workflow.monitor.rules.map(\.name), ["slow", "backlog"])
        XCTAssertEqual(workflow.monitor.metricsTopic, "b")
        XCTAssertNil(workflow.monitor.alertsTopic)
        XCTAssertEqual(workflow.monitor.surge.minBaselineWindows, 3)
        let without = Self.base.components(separatedBy: "\nmonitor:")[0]
        XCTAssertEqual(try Workflow.parse(without).monitor, MonitorSpec())
    }

    /// Each bad value fails with the file, the line and the key path named.
    func testBadValuesNameKeyAndLine() {
        let cases: [(String, String, Int, String)] = [
            (
                "windows_s: [10, 60]", "windows_s: [60, 10]", 15,
                "monitor.windows_s[1]: windows must be listed shortest first"
            ),
            ("target_utilisation: 0.7", "target_utilisation: 1.5", 16, "monitor.target_utilisation: must be between"),
            (
                "metrics_topic: b", "metrics_topic: nowhere", 17,
                "monitor.metrics_topic: topic 'nowhere' is not declared"
            ),
            ("metric: p99_end_to_end_ms", "metric: p95", 19, "monitor.rules[0].metric: unknown metric 'p95'"),
            ("above: 2000", "above: lots", 19, "monitor.rules[0].above: expected a number"),
            ("stage: s,", "stage: nope,", 20, "monitor.rules[1].stage: no stage named 'nope'"),
            ("name: backlog", "name: slow", 20, "rule name 'slow' is used twice"),
            ("min_count: 20", "min_count: 0", 21, "monitor.surge.min_count: must be at least 1"),
            ("  surge:", "  surges:", 21, "monitor.surges: unknown key"),
        ]
        for (from, to, line, message) in cases {
            let text = Self.base.replacingOccurrences(of: from, with: to)
            XCTAssertNotEqual(text, Self.base, "case \(to) did not change the file")
            do {
                _ = try Workflow.parse(text, file: "m.yaml")
                XCTFail("expected an error for \(to)")
            } catch {
                XCTAssertEqual(error.line, line, "\(error)")
                XCTAssertTrue(error.description.contains(message), "\(error) lacks '\(message)'")
                XCTAssertTrue(error.description.hasPrefix("m.yaml:\(line):"), "\(error)")
            }
        }
    }
}
