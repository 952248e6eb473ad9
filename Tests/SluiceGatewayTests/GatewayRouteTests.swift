import Foundation
import SluiceEvents
import SluiceGateway
import SluiceJSON
import SluiceKafka
import XCTest

/// Every route of the gateway over loopback HTTP, against a real broker and a real
/// passthrough worker (no model: these tests are about HTTP and Kafka).
final class GatewayRouteTests: GatewayTestCase {
    func testPostedEventsComeBackByIDWithTheirData() throws {
        let workflow = try relayWorkflow()
        try startWorker(workflow, stage: "pass")
        let gateway = try startGateway(workflow)
        let reply = try http(
            gateway, "POST", "/v1/workflows/relay/events",
            body:
                #"[{"text": "first", "id": "e-1", "data": {"user": "ann"}}, {"text": "second"}, {"text": "third", "id": 7}]"#,
            headers: ["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"])
        XCTAssertEqual(reply.status, 202, reply.body)
        let ids = try XCTUnwrap(reply.json?["ids"]?.arrayValue?.compactMap(\.stringValue))
        XCTAssertEqual(ids.count, 3)
        XCTAssertEqual(ids[0], "e-1")
        XCTAssertEqual(ids[2], "7")
        XCTAssertNotNil(UUID(uuidString: ids[1]), "an event without an id gets a UUID")
        for (id, text) in zip(ids, ["first", "second", "third"]) {
            let result = try waitForResult(gateway, id: id)
            XCTAssertEqual(result.status, 200, "result of \(id): \(result.body)")
            XCTAssertEqual(result.json?["status"]?.stringValue, "done")
            XCTAssertEqual(result.json?["event"]?["text"]?.stringValue, text)
            XCTAssertEqual(result.json?["event"]?["workflow"]?.stringValue, "relay")
            XCTAssertEqual(result.json?["event"]?["hops"]?.arrayValue?.first?["stage"]?.stringValue, "pass")
        }
        XCTAssertEqual(try waitForResult(gateway, id: "e-1").json?["event"]?["data"]?["user"]?.stringValue, "ann")
        // The records on the input topic are keyed by id and continue the caller's trace.
        let inputs = try readAll("posts", expecting: 3)
        XCTAssertEqual(inputs.count, 3, "each accepted event is produced once")
        for record in inputs {
            let headers = Dictionary(record.headers.map { ($0.key, String(decoding: $0.value ?? [], as: UTF8.self)) }) {
                $1
            }
            XCTAssertEqual(
                TraceContext.parse(headers["traceparent"] ?? "")?.traceID, "4bf92f3577b34da6a3ce929d0e0e4736")
            XCTAssertTrue(ids.contains(String(decoding: record.key ?? [], as: UTF8.self)))
        }
    }

    func testBadRequestsAreRefusedWithReasonsAndProduceNothing() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow) { $0.maxBodyBytes = 4_096 }
        let cases: [(body: String, status: Int, says: String)] = [
            (#"{"text": "unterminated"#, 400, "not valid JSON"),
            (#"{"txt": "typo"}"#, 400, "'txt' is not a field of a posted event"),
            (#"{"data": {}}"#, 400, "'text' is missing"),
            (#"{"text": "x", "label": "markets"}"#, 400, "'label' is not a field"),
            (#"{"text": "x", "sentiment": {"score": 1}}"#, 400, "send only id, key, text and data"),
            (#"{"text": "x", "id": "a/b?c#d"}"#, 400, "'id' must be 1 to 200 of the characters"),
            (#"{"text": "x", "id": "tab\there"}"#, 400, "'id' must be"),
            (#"{"text": "x", "id": "\u00fc"}"#, 400, "'id' must be"),
            (#"{"text": "x", "id": "\#(String(repeating: "i", count: 201))"}"#, 400, "'id' must be"),
            (#"{"text": "x", "id": 9223372036854775807}"#, 400, "send it as a string"),
            (#"{"text": "x", "id": 123456789012345678901234}"#, 400, "send it as a string"),
            (#"{"text": "x", "id": -9223372036854775808}"#, 400, "send it as a string"),
            (#"{"text": 42}"#, 400, "'text' must be a string"),
            (#"{"text": "   "}"#, 400, "'text' is empty"),
            (#"[]"#, 400, "empty"),
            (#""just a string""#, 400, "must be a JSON object"),
            (#"[{"text": "ok"}, {"text": "dup", "id": "x"}, {"text": "dup", "id": "x"}]"#, 409, "more than once"),
            (#"{"text": "\#(String(repeating: "a", count: 1_001))"}"#, 400, "limit is 1000"),
            (#"{"text": "sneaky", "hops": []}"#, 400, "set by Sluice"),
            (#"{"text": "\#(String(repeating: "b", count: 5_000))"}"#, 413, "larger than 4096 bytes"),
        ]
        for (body, status, says) in cases {
            let reply = try http(gateway, "POST", "/v1/workflows/relay/events", body: body)
            XCTAssertEqual(reply.status, status, "\(body.prefix(60)): \(reply.body)")
            XCTAssertTrue(reply.body.contains(says), "\(body.prefix(60)) -> \(reply.body) should say \(says)")
            XCTAssertTrue(reply.headers["content-type"]?.hasPrefix("application/json") == true)
        }
        let twoProblems = try http(gateway, "POST", "/v1/workflows/relay/events", body: #"[{"text": 1}, {"id": "a"}]"#)
        XCTAssertEqual(
            twoProblems.json?["problems"]?.arrayValue?.count, 2, "every problem is listed: \(twoProblems.body)")
        let predictArray = try http(gateway, "POST", "/v1/workflows/relay/predict", body: #"[{"text": "a"}]"#)
        XCTAssertEqual(predictArray.status, 400)
        let badTimeout = try http(
            gateway, "POST", "/v1/workflows/relay/predict?timeout_ms=soon", body: #"{"text": "a"}"#)
        XCTAssertEqual(badTimeout.status, 400)
        let otherWorkflow = try http(gateway, "POST", "/v1/workflows/elsewhere/events", body: #"{"text": "a"}"#)
        XCTAssertEqual(otherWorkflow.status, 404)
        XCTAssertTrue(otherWorkflow.body.contains("serves 'relay'"), otherWorkflow.body)
        // Good requests, then check the input topic holds exactly those events.
        for body in [
            #"{"text": "fine", "id": "only"}"#, #"{"text": "n", "id": 9223372036854775806}"#,
            #"{"text": "n", "id": "A-z_0.9:x", "key": "k", "data": {"label": "kept inside data"}}"#,
        ] {
            let reply = try http(gateway, "POST", "/v1/workflows/relay/events", body: body)
            XCTAssertEqual(reply.status, 202, "\(body): \(reply.body)")
        }
        let inputs = try readAll("posts", expecting: 3)
        XCTAssertEqual(
            Set(inputs.map { String(decoding: $0.key ?? [], as: UTF8.self) }), ["only", "9223372036854775806", "k"],
            "refused requests produce nothing")
        XCTAssertEqual(inputs.count, 3)
    }

    func testWriteRoutesNeedABearerTokenWhenTokensAreSet() throws {
        let workflow = try relayWorkflow()
        try startWorker(workflow, stage: "pass")
        let gateway = try startGateway(workflow) { $0.tokens = ["s3cret": .write, "other-token": .write] }
        let none = try http(gateway, "POST", "/v1/workflows/relay/events", body: #"{"text": "a"}"#)
        XCTAssertEqual(none.status, 401)
        XCTAssertEqual(none.headers["www-authenticate"], "Bearer realm=\"sluice\"")
        XCTAssertTrue(none.body.contains("Authorization: Bearer"), none.body)
        let wrong = try http(gateway, "POST", "/v1/workflows/relay/predict", body: #"{"text": "a"}"#, token: "s3cre")
        XCTAssertEqual(wrong.status, 401)
        XCTAssertTrue(wrong.body.contains("not one this gateway accepts"), wrong.body)
        XCTAssertEqual(
            try http(gateway, "POST", "/v1/workflows/relay/events", body: #"{"text": "a"}"#, token: "other-token")
                .status, 202)
        let predicted = try http(
            gateway, "POST", "/v1/workflows/relay/predict", body: #"{"text": "b", "id": "p"}"#, token: "s3cret")
        XCTAssertEqual(predicted.status, 200, predicted.body)
        XCTAssertEqual(try http(gateway, "GET", "/v1/events/p").status, 401, "reads need a token too")
        XCTAssertEqual(
            try http(gateway, "GET", "/v1/events/p", token: "other-token").status, 200, "a write token reads")
        XCTAssertEqual(try readAll("posts", expecting: 2).count, 2, "only the two authorised events were produced")
    }

    func testPredictTimesOutWith504AndTheEventIsNotLost() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow)
        XCTAssertEqual(try http(gateway, "GET", "/v1/events/never-posted").json?["status"]?.stringValue, "unknown")
        let started = Date()
        let reply = try http(
            gateway, "POST", "/v1/workflows/relay/predict?timeout_ms=400", body: #"{"text": "late", "id": "slow-1"}"#)
        let waited = Date().timeIntervalSince(started)
        XCTAssertEqual(reply.status, 504, reply.body)
        XCTAssertEqual(reply.json?["id"]?.stringValue, "slow-1")
        XCTAssertGreaterThanOrEqual(waited, 0.4)
        XCTAssertLessThan(waited, 5)
        let pending = try http(gateway, "GET", "/v1/events/slow-1")
        XCTAssertEqual(pending.status, 404)
        XCTAssertEqual(pending.json?["status"]?.stringValue, "pending")
        // A worker that starts later still finishes the accepted event.
        try startWorker(workflow, stage: "pass")
        let result = try waitForResult(gateway, id: "slow-1")
        XCTAssertEqual(result.status, 200, result.body)
        XCTAssertEqual(result.json?["event"]?["text"]?.stringValue, "late")
    }

    func testDeadLetteredEventsAnswerWithTheirReason() throws {
        let workflow = try relayWorkflow()
        try startWorker(workflow, stage: "pass")
        let gateway = try startGateway(workflow)
        // Produced around the gateway (it refuses such events itself): a text too long for the workflow.
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: config))
        defer { producer.close() }
        let long = String(repeating: "x", count: 2_000)
        let reports = try producer.sendBatch([
            KafkaProducerMessage(
                topic: "posts", key: Array("bad-1".utf8), value: Array(#"{"id": "bad-1", "text": "\#(long)"}"#.utf8))
        ])
        XCTAssertTrue(reports.allSatisfy(\.isDelivered))
        let reply = try waitForResult(gateway, id: "bad-1")
        XCTAssertEqual(reply.status, 200, reply.body)
        XCTAssertEqual(reply.json?["status"]?.stringValue, "failed")
        XCTAssertEqual(reply.json?["stage"]?.stringValue, "pass")
        XCTAssertEqual(reply.json?["reason"]?.stringValue?.isEmpty, false, reply.body)
        XCTAssertTrue(reply.json?["detail"]?.stringValue?.contains("1000") == true, reply.body)
    }

    /// predict answers 422 with the reason when the workflow dead-letters the event: here a
    /// gateway whose copy of the workflow allows longer texts than the worker's does.
    func testPredictOfADeadLetteredEventAnswers422WithTheReason() throws {
        let workflow = try relayWorkflow()
        try startWorker(workflow, stage: "pass")
        var lenient = workflow
        lenient.limits.maxTextBytes = 5_000
        let gateway = try startGateway(lenient)
        let body = JSONValue.object(["text": .string(String(repeating: "y", count: 1_500)), "id": .string("too-long")])
        let reply = try http(gateway, "POST", "/v1/workflows/relay/predict", body: body.serialized())
        XCTAssertEqual(reply.status, 422, reply.body)
        XCTAssertEqual(reply.json?["status"]?.stringValue, "failed")
        XCTAssertEqual(reply.json?["stage"]?.stringValue, "pass")
        XCTAssertTrue(reply.json?["detail"]?.stringValue?.contains("1500") == true, reply.body)
    }

    func testHealthReadinessMetricsAndStatus() throws {
        let workflow = try relayWorkflow()
        try startWorker(workflow, stage: "pass")
        let gateway = try startGateway(workflow) {
            $0.registry?.heartbeatSeconds = 0.5
        }
        XCTAssertEqual(try http(gateway, "GET", "/healthz").status, 200)
        let ready = try http(gateway, "GET", "/readyz")
        XCTAssertEqual(ready.status, 200, ready.body)
        XCTAssertEqual(ready.json?["checks"]?["topics"]?.stringValue, "ok")
        XCTAssertEqual(try http(gateway, "POST", "/v1/workflows/relay/predict", body: #"{"text": "m"}"#).status, 200)
        let metrics = try http(gateway, "GET", "/metrics")
        XCTAssertEqual(metrics.status, 200)
        XCTAssertTrue(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let samples = try parsePrometheus(metrics.body)
        XCTAssertEqual(samples[#"sluice_gateway_events_accepted_total{workflow="relay"}"#], 1)
        XCTAssertEqual(samples[#"sluice_gateway_predict_seconds_count{workflow="relay"}"#], 1)
        XCTAssertEqual(samples[#"sluice_gateway_requests_total{workflow="relay",route="readyz",code="200"}"#], 1)
        // The registry shows the worker of the stage and the gateway itself.
        let deadline = Date().addingTimeInterval(20)
        var status = try http(gateway, "GET", "/v1/status")
        while Date() < deadline
            && ((status.json?["gateways"]?.arrayValue?.isEmpty ?? true)
                || status.json?["stages"]?.arrayValue?.first?["replicas"]?.intValue != 1)
        {
            Thread.sleep(forTimeInterval: 0.5)
            status = try http(gateway, "GET", "/v1/status")
        }
        XCTAssertEqual(status.status, 200, status.body)
        let gatewayEntry = try XCTUnwrap(status.json?["gateways"]?.arrayValue?.first, status.body)
        XCTAssertEqual(gatewayEntry["kind"]?.stringValue, "gateway")
        XCTAssertEqual(gatewayEntry["partitions"]?.arrayValue?.first?.stringValue, "http:\(gateway.port!)")
        let stage = try XCTUnwrap(status.json?["stages"]?.arrayValue?.first)
        XCTAssertEqual(stage["stage"]?.stringValue, "pass")
        XCTAssertEqual(stage["replicas"]?.intValue, 1, status.body)
    }

    func testAliveButNotReadyWithoutTheBroker() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow) { $0.registry = nil }
        XCTAssertEqual(try http(gateway, "GET", "/readyz").status, 200)
        broker.stop()
        Thread.sleep(forTimeInterval: 1.1)
        XCTAssertEqual(try http(gateway, "GET", "/healthz").status, 200)
        let notReady = try http(gateway, "GET", "/readyz", timeout: 30)
        XCTAssertEqual(notReady.status, 503, notReady.body)
        XCTAssertTrue(notReady.json?["checks"]?["broker"]?.stringValue?.hasPrefix("unreachable") == true, notReady.body)
    }

    /// The OpenAPI document lists exactly the routes served, and each route answers
    /// one of the status codes the document gives for it.
    func testOpenAPIDocumentMatchesTheRoutes() throws {
        let workflow = try relayWorkflow()
        try startWorker(workflow, stage: "pass")
        let gateway = try startGateway(workflow) { $0.tokens = ["t": .write] }
        let reply = try http(gateway, "GET", "/openapi.json")
        XCTAssertEqual(reply.status, 200)
        let document = try XCTUnwrap(reply.json)
        XCTAssertEqual(document["openapi"]?.stringValue, "3.1.0")
        guard case .object(let paths)? = document["paths"] else { return XCTFail("no paths: \(reply.body)") }
        var documented = Set<String>()
        for (path, operations) in paths {
            guard case .object(let byMethod) = operations else { continue }
            for (method, operation) in byMethod {
                documented.insert("\(method.uppercased()) \(path)")
                guard case .object(let responses)? = operation["responses"] else {
                    return XCTFail("\(path): no responses")
                }
                let concrete = path.replacingOccurrences(of: "{name}", with: "relay").replacingOccurrences(
                    of: "{id}", with: "nope")
                let body = method == "post" ? #"{"text": "route check"}"# : nil
                let guarded = path.hasPrefix("/v1/")
                let answer = try http(gateway, method.uppercased(), concrete, body: body, token: guarded ? "t" : nil)
                XCTAssertTrue(
                    responses.keys.contains(String(answer.status)),
                    "\(method.uppercased()) \(concrete) answered \(answer.status), documented: \(responses.keys.sorted())"
                )
                if guarded {
                    XCTAssertNotNil(operation["security"], "\(path) documents its bearer auth")
                    let unauthorised = try http(gateway, method.uppercased(), concrete, body: body)
                    XCTAssertEqual(unauthorised.status, 401)
                    XCTAssertTrue(responses.keys.contains("401"))
                }
            }
        }
        XCTAssertEqual(documented, Set(GatewayRoute.all.map { "\($0.method.rawValue) \($0.path)" }))
        XCTAssertEqual(documented.count, 10)
        // A path the document does not list is not served.
        XCTAssertEqual(try http(gateway, "GET", "/v1/nothing-here").status, 404)
    }

    /// Sample name with labels -> value; fails on any line that is neither a comment nor a sample.
    private func parsePrometheus(_ text: String) throws -> [String: Double] {
        let sample = try NSRegularExpression(pattern: #"^([a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?) (\S+)$"#)
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let string = String(line)
            guard let match = sample.firstMatch(in: string, range: NSRange(string.startIndex..., in: string)),
                let name = Range(match.range(at: 1), in: string), let value = Range(match.range(at: 3), in: string),
                let number = Double(string[value])
            else {
                XCTFail("not a Prometheus sample: \(line)")
                continue
            }
            samples[String(string[name])] = number
        }
        return samples
    }
}
