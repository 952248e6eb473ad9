import Foundation
import SluiceGateway
import SluiceJSON
import SluiceKafka
import SluiceML
import SluicePipeline
import SluiceTesting
import SluiceWorkflow
import XCTest

/// The gateway in front of the shipped three-stage workflow with the real model:
/// predict agrees with the engine, and the dashboard draws live data in a real browser.
final class GatewayWorkflowTests: GatewayTestCase {
    func exampleWorkflow() throws -> Workflow {
        let workflow = try Workflow.load(
            path: PackagePaths.root.appendingPathComponent("topics/sentiment-monitoring.yaml").path)
        _ = try TopicApplier.apply(workflow.topics, admin: try KafkaAdmin(config: config))
        for stage in workflow.stages { try startWorker(workflow, stage: stage.name) }
        return workflow
    }

    func testPredictGivesTheEnginesSentimentForTheText() throws {
        let workflow = try exampleWorkflow()
        let gateway = try startGateway(workflow)
        let texts = [
            "I absolutely love this new phone, best purchase all year",
            "The flight was delayed four hours and they lost my bag. Never again.",
            "The council meets on Tuesday to discuss the budget.",
        ]
        // The engine in the precision the workflow's embed stage runs.
        let precision = try Precision.parse(workflow.stages.first { $0.task == .embed }?.precision ?? "fp32")
        let encoder = try MiniLMEncoder(options: EncoderOptions(precision: precision))
        let scorer = try SentimentScorer(
            embedder: encoder, headPath: PackagePaths.root.appendingPathComponent("models/sentiment-head.json").path)
        let expected = try scorer.score(texts)
        for (text, engine) in zip(texts, expected) {
            let body = JSONValue.object(["text": .string(text)]).serialized()
            let reply = try http(
                gateway, "POST", "/v1/workflows/sentiment-monitoring/predict?timeout_ms=20000", body: body)
            XCTAssertEqual(reply.status, 200, reply.body)
            let sentiment = try XCTUnwrap(reply.json?["event"]?["sentiment"], reply.body)
            XCTAssertEqual(try XCTUnwrap(sentiment["score"]?.doubleValue), Double(engine.score), accuracy: 1e-4, text)
            XCTAssertEqual(try XCTUnwrap(sentiment["positive"]?.doubleValue), Double(engine.positive), accuracy: 1e-4)
            XCTAssertEqual(try XCTUnwrap(sentiment["negative"]?.doubleValue), Double(engine.negative), accuracy: 1e-4)
            XCTAssertEqual(sentiment["head_version"]?.stringValue, scorer.headFile.version)
            XCTAssertNotNil(reply.json?["event"]?["label"]?["name"]?.stringValue, "the topics stage labelled it")
            XCTAssertNil(reply.json?["event"]?["embedding"], "the embedding stays on the topic")
        }
        XCTAssertGreaterThan(expected[0].score, 0.3, "sanity: a clearly positive text")
        XCTAssertLessThan(expected[1].score, -0.3, "sanity: a clearly negative text")
    }

    /// Loads `/` in headless Chromium while posts stream through the workflow and checks
    /// that both charts were drawn with points from the gateway's data.
    func testDashboardDrawsLiveDataInHeadlessChromium() throws {
        guard
            let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
                .first(where: FileManager.default.isExecutableFile(atPath:))
        else {
            return XCTFail(
                "Chromium is not installed: run scripts/setup.sh (it installs the Debian package 'chromium')")
        }
        let workflow = try exampleWorkflow()
        let gateway = try startGateway(workflow) { $0.dashboardWindowSeconds = 1 }
        let corpus = try TweetCorpus.load().rows.map(\.text).filter { !$0.isEmpty }
        // A steady feed for ~8 s: several closed windows and latency samples.
        var posted = 0
        let started = Date()
        while Date().timeIntervalSince(started) < 8 {
            let batch = corpus[posted..<(posted + 10)].map { JSONValue.object(["text": .string($0)]) }
            XCTAssertEqual(
                try http(
                    gateway, "POST", "/v1/workflows/sentiment-monitoring/events",
                    body: JSONValue.array(Array(batch)).serialized()
                ).status, 202)
            posted += 10
            Thread.sleep(forTimeInterval: 0.5)
        }
        let deadline = Date().addingTimeInterval(30)
        var data = try http(gateway, "GET", "/v1/dashboard").json
        while Date() < deadline
            && ((data?["results"]?.intValue ?? 0) < posted || (data?["latency"]?.arrayValue?.count ?? 0) < 2)
        {
            Thread.sleep(forTimeInterval: 0.5)
            data = try http(gateway, "GET", "/v1/dashboard").json
        }
        XCTAssertEqual(data?["results"]?.intValue, posted, "every posted event reached the dashboard's data")
        let trendWindows = data?["trends"]?.arrayValue?.filter { $0["label"]?.stringValue != "all" }.count ?? 0
        XCTAssertGreaterThan(trendWindows, 0)

        let dom = try renderedDashboard(gateway, chromium: chromium)
        let trendPoints = try XCTUnwrap(points(in: dom, chart: "trend-chart"), String(dom.prefix(2_000)))
        let latencyPoints = try XCTUnwrap(points(in: dom, chart: "latency-chart"))
        XCTAssertGreaterThanOrEqual(
            trendPoints, trendWindows, "one point per label per closed window, at least those seen before")
        XCTAssertGreaterThanOrEqual(latencyPoints, 4, "p50 and p99 for at least two samples")
        XCTAssertTrue(dom.contains("<polyline"), "lines were drawn")
        XCTAssertTrue(dom.contains("\(posted) results") || dom.contains("results,"), "the status line shows the count")
        let status =
            dom.range(of: "id=\"status\">").map { String(dom[$0.upperBound...].prefix(while: { $0 != "<" })) } ?? ""
        XCTAssertFalse(status.contains("cannot"), status)
    }

    private func points(in dom: String, chart: String) -> Int? {
        guard let start = dom.range(of: "id=\"\(chart)\"") else { return nil }
        let tag = dom[start.upperBound...].prefix(while: { $0 != ">" })
        guard let attribute = tag.range(of: "data-points=\"") else { return nil }
        return Int(tag[attribute.upperBound...].prefix(while: \.isNumber))
    }
}
