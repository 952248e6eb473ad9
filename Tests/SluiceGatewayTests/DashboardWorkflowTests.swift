import Foundation
import Logging
import SluiceGateway
import SluiceJSON
import SluiceKafka
import SluiceMonitorService
import SluicePipeline
import SluiceWorkflow
import XCTest

/// The dashboard against a running workflow: two passthrough stages, a monitor
/// publishing to its metrics, alerts and trends topics, and the gateway, all on a real
/// broker. Posts carry a label and a sentiment (passthrough keeps them), positive at
/// first and then all negative, so the monitor's trends see a surge. The page, loaded in
/// headless Chromium, must show a figure in every stage box and on every edge, the alerts
/// raised during the test, the surge on the trend charts, and a stalled stage in its
/// warning colour once that stage's worker is stopped. A screenshot is saved.
final class DashboardWorkflowTests: GatewayTestCase {
    private var monitor: WorkflowMonitor?
    private var monitorDone = DispatchSemaphore(value: 0)
    /// Signalled once: the feed stops.
    private let stopFeed = DispatchSemaphore(value: 0)

    override func tearDown() {
        stopFeed.signal()
        if let monitor {
            monitor.stop()
            _ = monitorDone.wait(timeout: .now() + 15)
        }
        super.tearDown()
    }

    /// posts -> [first] -> mid -> [second] -> done, with the monitor's three topics.
    func monitoredWorkflow() throws -> Workflow {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dash-\(UUID().uuidString).yaml").path
        try """
        workflow: dash
        topics:
          posts: {partitions: 2}
          mid: {partitions: 2}
          done: {partitions: 2}
          dlq: {partitions: 1}
          metrics: {partitions: 1}
          alerts: {partitions: 1}
          trends: {partitions: 1}
        input: posts
        output: done
        dead_letter: dlq
        stages:
          - { name: first, task: passthrough, input: posts, output: mid, batch: { size: 16, wait_ms: 5 } }
          - { name: second, task: passthrough, input: mid, output: done, batch: { size: 16, wait_ms: 5 } }
        monitor:
          windows_s: [10, 60]
          metrics_topic: metrics
          alerts_topic: alerts
          trends_topic: trends
          trend_window_s: 1
          rules:
            - { name: traffic-seen, metric: p99_end_to_end_ms, above: 0 }
            - { name: second-stalled, metric: stall_s, stage: second, above: 3 }
          surge: { z: 3, baseline_windows: 4, min_baseline_windows: 2, min_count: 5 }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let workflow = try Workflow.load(path: path)
        _ = try TopicApplier.apply(workflow.topics, admin: try KafkaAdmin(config: config))
        return workflow
    }

    func startMonitor(_ workflow: Workflow) {
        var quiet = Logger(label: "test.monitor")
        quiet.logLevel = .warning
        let monitor = WorkflowMonitor(
            workflow: workflow,
            options: MonitorOptions(
                brokers: broker.bootstrapServers, fromBeginning: true, tickSeconds: 0.5, publishSeconds: 1,
                probeSeconds: 1),
            logger: quiet)
        self.monitor = monitor
        let done = monitorDone
        Thread.detachNewThread {
            try? monitor.run()
            done.signal()
        }
    }

    /// About 20 posts a second straight to the input topic until the test ends: label
    /// `travel`, positive for the first `positiveSeconds`, then negative.
    func startFeed(_ workflow: Workflow, positiveSeconds: TimeInterval) throws {
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: config))
        let stop = stopFeed
        let input = workflow.input
        Thread.detachNewThread {
            defer { producer.close() }
            let started = Date()
            var index = 0
            while stop.wait(timeout: .now() + 0.05) == .timedOut {
                let negative = Date().timeIntervalSince(started) >= positiveSeconds
                let event = JSONValue.object([
                    "id": .string("d-\(index)"), "created_at": .int(Int64(Date().timeIntervalSince1970 * 1_000_000)),
                    "text": .string("post \(index)"), "label": .object(["name": .string("travel")]),
                    "sentiment": .object([
                        "negative": .double(negative ? 0.8 : 0.1), "neutral": .double(0.1),
                        "positive": .double(negative ? 0.1 : 0.8), "score": .double(negative ? -0.7 : 0.7),
                    ]),
                ])
                _ = try? producer.sendBatch([
                    KafkaProducerMessage(topic: input, key: "d-\(index)", value: Array(event.serialized().utf8))
                ])
                index += 1
            }
        }
    }

    /// Polls GET /v1/dashboard until `done` holds for its answer (or the timeout passes).
    func waitForDashboard(_ gateway: Gateway, timeout: TimeInterval, until done: (JSONValue) -> Bool) throws
        -> JSONValue
    {
        let deadline = Date().addingTimeInterval(timeout)
        var data = try XCTUnwrap(try http(gateway, "GET", "/v1/dashboard").json)
        while !done(data) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.5)
            data = try XCTUnwrap(try http(gateway, "GET", "/v1/dashboard").json)
        }
        return data
    }

    func testTheDashboardDrawsTheWorkflowItsAlertsAndTrendsInHeadlessChromium() throws {
        guard
            let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
                .first(where: FileManager.default.isExecutableFile(atPath:))
        else {
            throw XCTSkip("Chromium is not installed: run scripts/setup.sh (it installs the Debian package 'chromium')")
        }
        let workflow = try monitoredWorkflow()
        for stage in workflow.stages { try startWorker(workflow, stage: stage.name) }
        startMonitor(workflow)
        let gateway = try startGateway(workflow)
        let before = try XCTUnwrap(try http(gateway, "GET", "/v1/dashboard").json)
        XCTAssertEqual(before["alerts"]?["firing"]?.arrayValue?.count, 0, "no alert before any post")
        XCTAssertEqual(
            before["workflow"]?["stages"]?.arrayValue?.compactMap { $0["name"]?.stringValue }, ["first", "second"])

        try startFeed(workflow, positiveSeconds: 5)
        func firing(_ data: JSONValue) -> Set<String> {
            Set(data["alerts"]?["firing"]?.arrayValue?.compactMap { $0["rule"]?.stringValue } ?? [])
        }
        func complete(_ stage: JSONValue) -> Bool {
            [
                "throughput", "processing_p50_us", "processing_p99_us", "batch_size_mean", "lag", "replicas_live",
                "replicas_needed",
            ].allSatisfy { stage[$0].map { $0 != .null } ?? false }
                && (stage["processed"]?.intValue ?? 0) > 0
        }
        func surged(_ data: JSONValue) -> Bool {
            data["alerts"]?["history"]?.arrayValue?.contains { $0["rule"]?.stringValue == "negative-surge:travel" }
                ?? false
        }
        let flowing = try waitForDashboard(gateway, timeout: 60) { data in
            (data["workflow"]?["stages"]?.arrayValue ?? []).allSatisfy(complete)
                && (data["workflow"]?["edges"]?.arrayValue ?? []).allSatisfy { ($0["count"]?.intValue ?? 0) > 0 }
                && firing(data).contains("traffic-seen") && surged(data)
        }
        for stage in flowing["workflow"]?["stages"]?.arrayValue ?? [] {
            XCTAssertTrue(complete(stage), "every figure of the stage is known: \(stage.serialized())")
        }
        XCTAssertTrue(firing(flowing).contains("traffic-seen"), "the alert raised by the posts reached the gateway")
        XCTAssertTrue(surged(flowing), "the monitor's surge alert reached the gateway")
        XCTAssertGreaterThan(flowing["monitor_trends"]?.arrayValue?.count ?? 0, 0, "trend windows were read")

        let dom = try renderedDashboard(gateway, chromium: chromium)
        for stage in ["first", "second"] {
            let box = try XCTUnwrap(tag(in: dom, with: "data-stage=\"\(stage)\""), String(dom.prefix(3_000)))
            XCTAssertEqual(attribute("data-figures", of: box), "7", "every figure of \(stage) is drawn: \(box)")
            XCTAssertEqual(attribute("data-warning", of: box), "", "\(stage) flows: no warning")
        }
        for edge in ["input→first", "first→second", "second→output"] {
            let arrow = try XCTUnwrap(tag(in: dom, with: "data-edge=\"\(edge)\""), "edge \(edge) is drawn")
            XCTAssertEqual(attribute("data-figures", of: arrow), "2", "edge \(edge) shows p50 and p99: \(arrow)")
        }
        XCTAssertTrue(section(of: dom, id: "alerts-firing").contains("data-rule=\"traffic-seen\""))
        XCTAssertTrue(section(of: dom, id: "alert-history").contains("negative-surge:travel"))
        XCTAssertGreaterThan(
            Int(attribute("data-points", of: tag(in: dom, with: "id=\"monitor-score-chart\"") ?? "") ?? "") ?? 0, 0)
        let negative = tag(in: dom, with: "id=\"monitor-negative-chart\"") ?? ""
        XCTAssertGreaterThanOrEqual(Int(attribute("data-surges", of: negative) ?? "") ?? 0, 1, "the surge is marked")
        XCTAssertTrue(section(of: dom, id: "canary").contains("no canary running"))
        XCTAssertTrue(section(of: dom, id: "scaling").contains("autoscaling is off"), "no autoscaler beside it")

        // The second stage stops: its input waits, the monitor calls it stalled.
        let second = try XCTUnwrap(workers.last)
        second.worker.stop()
        XCTAssertEqual(second.done.wait(timeout: .now() + 30), .success)
        second.done.signal()  // tearDown waits for it too
        let stalled = try waitForDashboard(gateway, timeout: 45) { data in
            firing(data).contains("second-stalled")
                && !(data["workflow"]?["stages"]?.arrayValue?.last?["warnings"]?.arrayValue?.isEmpty ?? true)
        }
        XCTAssertTrue(firing(stalled).contains("second-stalled"), "the stall alert reached the gateway")
        let stalledDom = try renderedDashboard(gateway, chromium: chromium)
        let box = try XCTUnwrap(tag(in: stalledDom, with: "data-stage=\"second\""))
        XCTAssertNotEqual(attribute("data-warning", of: box) ?? "", "", "the stalled stage is marked: \(box)")
        XCTAssertEqual(attribute("data-warning", of: tag(in: stalledDom, with: "data-stage=\"first\"") ?? ""), "")
        XCTAssertTrue(section(of: stalledDom, id: "alerts-firing").contains("data-rule=\"second-stalled\""))

        let shot = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sluice-dashboard-\(UUID().uuidString).png"
        )
        .path
        _ = try renderedDashboard(gateway, chromium: chromium, screenshot: shot)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0
        XCTAssertGreaterThan(bytes, 20_000, "a screenshot of a drawn page at \(shot)")
        print("dashboard screenshot: \(shot)")
    }

    /// What the gateway keeps of the alerts topic is bounded, and a rule that resolved
    /// is no longer shown as firing; a record that is not JSON is skipped, of the metrics
    /// records the newest of the shortest window is the one drawn, and its canary shows.
    func testTheMonitorsRecordsAreKeptBoundedAndFiringMeansNotResolvedSince() throws {
        let workflow = try monitoredWorkflow()
        // What `sluice up --autoscale` hands its gateway: the decisions, each with its reason.
        let gateway = try startGateway(workflow) { options in
            options.scaling = {
                .array(
                    [(1, 3, "input 90.0 ev/s x 20.0 ms / 0.70 = 2.57: advice 3"), (3, 1, "advice 1; below 3 for 10 s")]
                        .map { from, to, reason in
                            .object([
                                "stage": .string("first"), "from": .int(Int64(from)), "to": .int(Int64(to)),
                                "at": .int(1_700_000_000_000_000), "reason": .string(reason),
                            ])
                        })
            }
        }
        // 250 transitions of five rules (more than the 200 kept); the last state of r0...r2
        // is firing, of r3 and r4 resolved.
        var messages: [KafkaProducerMessage] = []
        for index in 0..<250 {
            let rule = "r\(index % 5)"
            let last = index >= 245
            let state = last ? (index % 5 < 3 ? "firing" : "resolved") : (index / 5 % 2 == 0 ? "firing" : "resolved")
            let transition = JSONValue.object([
                "rule": .string(rule), "state": .string(state), "value": .double(Double(index)),
                "threshold": .double(1), "at": .int(Int64(1_000_000 * index)), "subject": .null,
            ])
            messages.append(
                KafkaProducerMessage(topic: "alerts", key: rule, value: Array(transition.serialized().utf8)))
        }
        messages.append(KafkaProducerMessage(topic: "alerts", key: "junk", value: Array("not json".utf8)))
        // As the monitor writes a canary of the sentiment stage: 38 of 40 labels agree.
        let canary = JSONValue.object([
            "stage": .string("second"), "head_version": .string("head-a"), "canary_version": .string("head-b"),
            "compared": .int(40), "agreed": .int(38), "agreement": .double(0.95),
        ])
        for (window, seconds, at) in [("10s", 10, 5), ("60s", 60, 9), ("10s", 10, 7), ("10s", 10, 6)] {
            let record = JSONValue.object([
                "at": .int(Int64(at)), "window": .string(window), "window_s": .int(Int64(seconds)),
                "stages": .array([]), "hops": .array([]), "canaries": .array(at == 7 ? [canary] : []),
            ])
            messages.append(KafkaProducerMessage(topic: "metrics", key: nil, value: Array(record.serialized().utf8)))
        }
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: config))
        defer { producer.close() }
        XCTAssertTrue(try producer.sendBatch(messages).allSatisfy(\.isDelivered))

        let data = try waitForDashboard(gateway, timeout: 30) { data in
            (data["monitor"]?["records"]?.intValue ?? 0) >= 254
        }
        XCTAssertEqual(data["monitor"]?["records"]?.intValue, 254, "every JSON record read, the other skipped")
        let history = data["alerts"]?["history"]?.arrayValue ?? []
        XCTAssertEqual(history.count, 200, "the history is bounded")
        XCTAssertEqual(history.last?["value"]?.doubleValue, 249, "the newest transition is kept")
        XCTAssertEqual(history.first?["value"]?.doubleValue, 50, "the oldest ones are dropped")
        let firing = data["alerts"]?["firing"]?.arrayValue?.compactMap { $0["rule"]?.stringValue } ?? []
        XCTAssertEqual(firing.sorted(), ["r0", "r1", "r2"], "resolved rules are not firing")
        XCTAssertEqual(data["workflow"]?["at"]?.intValue, 7, "the newest record of the 10 s window")
        XCTAssertEqual(data["workflow"]?["window_s"]?.intValue, 10)
        XCTAssertEqual(data["workflow"]?["canaries"]?.arrayValue?.count, 1)

        guard
            let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
                .first(where: FileManager.default.isExecutableFile(atPath:))
        else {
            throw XCTSkip("Chromium is not installed: run scripts/setup.sh (it installs the Debian package 'chromium')")
        }
        let dom = try renderedDashboard(gateway, chromium: chromium)
        let shown = section(of: dom, id: "canary")
        XCTAssertTrue(shown.hasPrefix(" data-count=\"1\""), "one canary drawn: \(shown.prefix(300))")
        XCTAssertTrue(
            shown.contains("head-b") && shown.contains("95.0%"), "its version and agreement: \(shown.prefix(600))")
        XCTAssertEqual(section(of: dom, id: "alerts-firing").components(separatedBy: "<li").count - 1, 3)
        let scaling = section(of: dom, id: "scaling")
        XCTAssertTrue(scaling.hasPrefix(" data-count=\"2\""), "two decisions drawn: \(scaling.prefix(300))")
        XCTAssertTrue(
            scaling.contains("1 → 3") && scaling.contains("= 2.57: advice 3"),
            "each with its reason: \(scaling.prefix(900))")
        XCTAssertLessThan(
            scaling.range(of: "3 → 1")?.lowerBound ?? scaling.endIndex,
            scaling.range(of: "1 → 3")?.lowerBound ?? scaling.startIndex, "newest first")
    }

    /// The start tag of the first element whose tag holds `marker`.
    private func tag(in dom: String, with marker: String) -> String? {
        let escaped = marker.replacingOccurrences(of: ">", with: "&gt;")
        guard let found = dom.range(of: marker) ?? dom.range(of: escaped) else { return nil }
        let start = dom[..<found.lowerBound].lastIndex(of: "<") ?? found.lowerBound
        return String(dom[start...].prefix(while: { $0 != ">" }))
    }

    private func attribute(_ name: String, of tag: String) -> String? {
        guard let start = tag.range(of: " \(name)=\"") else { return nil }
        return String(tag[start.upperBound...].prefix(while: { $0 != "\"" }))
    }

    /// The markup after the element of that id (up to 5,000 characters).
    private func section(of dom: String, id: String) -> String {
        dom.range(of: "id=\"\(id)\"").map { String(dom[$0.upperBound...].prefix(5_000)) } ?? ""
    }
}
