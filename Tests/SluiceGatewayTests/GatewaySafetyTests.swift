import Foundation
import SluiceGateway
import SluiceHTTP
import SluiceJSON
import SluiceKafka
import XCTest

/// What makes the gateway safe to expose, each over loopback HTTP against a real
/// broker: tokens with scopes on every /v1 route, the refusal to bind elsewhere
/// without them, browser safety (JSON only, Origin, nosniff, CSP), 405 for wrong
/// methods, ids that cannot be reused and atomic batches. Readiness and bounds:
/// GatewayReadinessAndBoundsTests.
final class GatewaySafetyTests: GatewayTestCase {
    // MARK: Auth

    func testEveryV1RouteNeedsATokenOfTheRightScope() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow) { $0.tokens = ["reader": .read, "writer": .write] }
        let post = #"{"text": "a", "id": "w-1"}"#
        for path in ["/v1/events/w-1", "/v1/dashboard", "/v1/status"] {
            let none = try http(gateway, "GET", path)
            XCTAssertEqual(none.status, 401, "\(path) without a token: \(none.body)")
            XCTAssertEqual(none.headers["www-authenticate"], "Bearer realm=\"sluice\"")
            XCTAssertEqual(try http(gateway, "GET", path, token: "wrong").status, 401, path)
            XCTAssertNotEqual(try http(gateway, "GET", path, token: "reader").status, 401, "\(path): read token")
        }
        let readOnly = try http(gateway, "POST", "/v1/workflows/relay/events", body: post, token: "reader")
        XCTAssertEqual(readOnly.status, 403, readOnly.body)
        XCTAssertTrue(readOnly.body.contains("scope 'write'"), readOnly.body)
        XCTAssertTrue(readOnly.headers["www-authenticate"]?.contains("insufficient_scope") == true)
        // The scheme is case-insensitive (RFC 7235).
        for scheme in ["bearer", "BEARER", "Bearer"] {
            let reply = try http(
                gateway, "GET", "/v1/dashboard", headers: ["Authorization": "\(scheme) reader"])
            XCTAssertEqual(reply.status, 200, "\(scheme): \(reply.body)")
        }
        XCTAssertEqual(
            try http(gateway, "GET", "/v1/dashboard", headers: ["Authorization": "Basic reader"]).status, 401)
        XCTAssertEqual(
            try http(gateway, "POST", "/v1/workflows/relay/events", body: post, token: "writer").status, 202)
        XCTAssertEqual(
            try http(gateway, "GET", "/v1/events/w-1", token: "writer").json?["status"]?.stringValue, "pending")
        // Outside /v1: open.
        for path in ["/healthz", "/readyz", "/metrics", "/openapi.json", "/"] {
            XCTAssertEqual(try http(gateway, "GET", path).status, 200, path)
        }
        XCTAssertEqual(try readAll("posts", expecting: 1).count, 1, "only the write token's event was produced")
    }

    func testANonLoopbackAddressWithoutTokensIsRefused() throws {
        let workflow = try relayWorkflow()
        XCTAssertThrowsError(try startGateway(workflow) { $0.host = "0.0.0.0" }) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("without tokens"), text)
            XCTAssertTrue(text.contains("--insecure") && text.contains("--tokens-file"), "says what to do: \(text)")
        }
        var options = GatewayOptions(brokers: broker.bootstrapServers)
        for host in ["0.0.0.0", "::", "10.1.2.3", "gateway.example.com"] {
            options.host = host
            XCTAssertNotNil(options.bindRefusal, host)
        }
        for host in ["127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]"] {
            options.host = host
            XCTAssertNil(options.bindRefusal, host)
        }
        options.host = "0.0.0.0"
        options.insecure = true
        XCTAssertNil(options.bindRefusal, "--insecure")
        options.insecure = false
        options.tokens = ["t": .read]
        XCTAssertTrue(options.bindRefusal?.contains("over plain HTTP") == true, "tokens alone would travel in clear")
        options.behindTLSProxy = true
        XCTAssertNil(options.bindRefusal, "tokens, and TLS ended by a proxy in front")
        options.behindTLSProxy = false
        options.tls = TLSFiles(certificate: "gateway.crt", key: "gateway.key")
        XCTAssertNil(options.bindRefusal, "tokens and TLS")
    }

    // MARK: Browser safety

    func testPostsMustBeJSONFromTheGatewaysOwnOriginOrAnAllowedOne() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow) { $0.allowedOrigins = ["https://app.example"] }
        let own = "http://127.0.0.1:\(gateway.port!)"
        let path = "/v1/workflows/relay/events"
        let plain = try http(gateway, "POST", path, body: #"{"text": "x"}"#, headers: ["Content-Type": "text/plain"])
        XCTAssertEqual(plain.status, 415, plain.body)
        XCTAssertTrue(plain.body.contains("application/json"), plain.body)
        let form = try http(
            gateway, "POST", path, body: #"{"text": "x"}"#,
            headers: ["Content-Type": "application/x-www-form-urlencoded"])
        XCTAssertEqual(form.status, 415)
        let elsewhere = try http(
            gateway, "POST", path, body: #"{"text": "x"}"#, headers: ["Origin": "https://evil.example"])
        XCTAssertEqual(elsewhere.status, 403, elsewhere.body)
        XCTAssertTrue(elsewhere.body.contains("--allow-origin https://evil.example"), elsewhere.body)
        XCTAssertEqual(
            try http(gateway, "GET", "/v1/dashboard", headers: ["Origin": "https://evil.example"]).status, 403)
        let accepted = [
            try http(
                gateway, "POST", path, body: #"{"text": "own", "id": "o-1"}"#,
                headers: ["Origin": own, "Content-Type": "application/json; charset=utf-8"]),
            try http(
                gateway, "POST", path, body: #"{"text": "allowed", "id": "o-2"}"#,
                headers: ["Origin": "https://app.example"]),
            try http(gateway, "POST", path, body: #"{"text": "no origin", "id": "o-3"}"#),
        ]
        XCTAssertEqual(accepted.map(\.status), [202, 202, 202], accepted.map(\.body).joined(separator: "\n"))
        for reply in accepted + [plain, elsewhere] {
            XCTAssertEqual(reply.headers["x-content-type-options"], "nosniff")
            XCTAssertNil(reply.headers["access-control-allow-origin"], "no CORS")
        }
        let keys = try readAll("posts", expecting: 3).map { String(decoding: $0.key ?? [], as: UTF8.self) }
        XCTAssertEqual(Set(keys), ["o-1", "o-2", "o-3"], "refused posts produce nothing")
        XCTAssertEqual(keys.count, 3)
    }

    func testTheDashboardIsServedWithAContentSecurityPolicyAndBuildsNoMarkupFromData() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow)
        let page = try http(gateway, "GET", "/")
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.headers["x-content-type-options"], "nosniff")
        let policy = try XCTUnwrap(page.headers["content-security-policy"])
        let nonce = try XCTUnwrap(
            policy.range(of: #"script-src 'nonce-([a-z0-9]+)'"#, options: .regularExpression).map {
                String(policy[$0].dropFirst("script-src 'nonce-".count).dropLast())
            }, policy)
        XCTAssertTrue(policy.contains("default-src 'none'"), policy)
        XCTAssertTrue(policy.contains("connect-src 'self'"), policy)
        XCTAssertFalse(policy.contains("unsafe-inline"), policy)
        XCTAssertTrue(page.body.contains("<script nonce=\"\(nonce)\">"), "the page's own script carries the nonce")
        XCTAssertNotEqual(
            try http(gateway, "GET", "/").headers["content-security-policy"], policy, "a new nonce per response")
        XCTAssertFalse(page.body.contains("innerHTML"), "no markup is built from data")
        XCTAssertFalse(page.body.contains("outerHTML") || page.body.contains("insertAdjacentHTML"))
        XCTAssertFalse(page.body.contains("document.write"))
        XCTAssertFalse(page.body.contains(" style=\""), "no inline style attributes (the policy forbids them)")
    }

    /// Results whose label names are markup, drawn by headless Chromium: the names show
    /// as text and no script in them runs.
    func testLabelNamesWithMarkupRunNoScriptInHeadlessChromium() throws {
        guard
            let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
                .first(where: FileManager.default.isExecutableFile(atPath:))
        else {
            return XCTFail(
                "Chromium is not installed: run scripts/setup.sh (it installs the Debian package 'chromium')")
        }
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow) { $0.dashboardWindowSeconds = 1 }
        let attack = #"<img src=x onerror="document.body.setAttribute('data-pwned','1')">"#
        let attack2 = #"</td><script>document.body.setAttribute('data-pwned','2')</script>"#
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: config))
        defer { producer.close() }
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        var messages: [KafkaProducerMessage] = []
        for (index, label) in [attack, attack2, attack, attack2].enumerated() {
            let event = JSONValue.object([
                "id": .string("x-\(index)"), "created_at": .int(now), "text": .string("t \(index)"),
                "label": .object(["name": .string(label)]),
                "sentiment": .object([
                    "negative": .double(0.1), "neutral": .double(0.2), "positive": .double(0.7), "score": .double(0.6),
                ]),
            ])
            messages.append(
                KafkaProducerMessage(topic: "done", key: "x-\(index)", value: Array(event.serialized().utf8)))
        }
        XCTAssertTrue(try producer.sendBatch(messages).allSatisfy(\.isDelivered))
        // Windows close 2 s after they end: wait until the data names the labels.
        let deadline = Date().addingTimeInterval(30)
        var labels: [String] = []
        while Date() < deadline && labels.count < 2 {
            Thread.sleep(forTimeInterval: 0.5)
            labels =
                try http(gateway, "GET", "/v1/dashboard").json?["labels"]?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        XCTAssertEqual(Set(labels), [attack, attack2], "the dashboard's data carries the names as they are")

        let dom = try renderedDashboard(gateway, chromium: chromium)
        XCTAssertTrue(dom.contains("id=\"trend-legend\""), String(dom.prefix(2_000)))
        // The names themselves hold the text "data-pwned"; a script that ran would have set it on <body>.
        let body = dom.range(of: "<body").map { String(dom[$0.lowerBound...].prefix(while: { $0 != ">" })) } ?? ""
        XCTAssertEqual(body, "<body", "a script in a label name ran")
        XCTAssertFalse(dom.contains("<img"), "a label name became an element")
        XCTAssertTrue(dom.contains("&lt;img src=x onerror="), "the name shows as text in the legend and table")
        XCTAssertTrue(dom.contains("&lt;/td&gt;&lt;script&gt;"), "the second name shows as text")
        let legend = dom.range(of: "id=\"trend-legend\">").map { String(dom[$0.upperBound...].prefix(3_000)) } ?? ""
        XCTAssertTrue(legend.contains("&lt;img"), "the legend names the label: \(legend.prefix(500))")
    }

    // MARK: HTTP conformance

    func testWrongMethodsAnswer405WithAllow() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow)
        let port = gateway.port!
        for route in GatewayRoute.all {
            let path = route.path.replacingOccurrences(of: "{name}", with: "relay").replacingOccurrences(
                of: "{id}", with: "e")
            for method in ["TRACE", "DELETE", "PUT", route.method == .get ? "POST" : "GET"] {
                let answer = try RawConnection.request(port: port, method, path)
                XCTAssertTrue(answer.hasPrefix("HTTP/1.1 405"), "\(method) \(path): \(answer.prefix(200))")
                XCTAssertTrue(
                    answer.lowercased().contains("\r\nallow: \(route.method.rawValue.lowercased())\r\n"),
                    "\(method) \(path) names the allowed method: \(answer.prefix(300))")
                XCTAssertTrue(answer.lowercased().contains("x-content-type-options: nosniff"))
            }
        }
        let unknown = try RawConnection.request(port: port, "TRACE", "/nothing/here")
        XCTAssertTrue(unknown.hasPrefix("HTTP/1.1 404"), unknown)
        XCTAssertTrue(unknown.contains("openapi.json"), unknown)
    }

    // MARK: Ids

    func testAReusedIDIsRefusedUnlessTheEventIsTheSame() throws {
        let workflow = try relayWorkflow()
        try startWorker(workflow, stage: "pass")
        let gateway = try startGateway(workflow)
        let path = "/v1/workflows/relay/events"
        let first = try http(gateway, "POST", path, body: #"{"text": "one", "id": "r-1", "data": {"a": 1}}"#)
        XCTAssertEqual(first.status, 202, first.body)
        // The same event again, its fields in another order: a retry, answered as the first.
        let retry = try http(gateway, "POST", path, body: #"{"data": {"a": 1}, "id": "r-1", "text": "one"}"#)
        XCTAssertEqual(retry.status, 202, retry.body)
        XCTAssertEqual(retry.json, first.json)
        let reused = try http(gateway, "POST", path, body: #"{"text": "another", "id": "r-1"}"#)
        XCTAssertEqual(reused.status, 409, reused.body)
        XCTAssertTrue(reused.body.contains("new id"), reused.body)
        // A batch with one reused id is refused whole.
        let batch = try http(
            gateway, "POST", path, body: #"[{"text": "fresh", "id": "r-2"}, {"text": "x", "id": "r-1"}]"#)
        XCTAssertEqual(batch.status, 409, batch.body)
        // predict with a reused id does not answer the earlier event's result.
        XCTAssertEqual(try waitForResult(gateway, id: "r-1").status, 200)
        let predicted = try http(gateway, "POST", "/v1/workflows/relay/predict", body: #"{"text": "two", "id": "r-1"}"#)
        XCTAssertEqual(predicted.status, 409, predicted.body)
        // predict of the same event again answers its result without producing it again.
        let same = try http(
            gateway, "POST", "/v1/workflows/relay/predict", body: #"{"text": "one", "id": "r-1", "data": {"a": 1}}"#)
        XCTAssertEqual(same.status, 200, same.body)
        XCTAssertEqual(same.json?["event"]?["text"]?.stringValue, "one")
        let keys = try readAll("posts", expecting: 1).map { String(decoding: $0.key ?? [], as: UTF8.self) }
        XCTAssertEqual(keys, ["r-1"], "the first event only, once")
    }

    /// An id this gateway did not produce (another replica did, or it did before a
    /// restart) is known from its result on the output topic.
    func testAnIDSeenOnTheOutputTopicIsNotReusedEither() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow)
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: config))
        defer { producer.close() }
        let done = JSONValue.object([
            "id": .string("elsewhere-1"), "created_at": .int(1), "text": .string("hi"),
            "data": .object(["n": .int(1)]),
        ])
        XCTAssertTrue(
            try producer.sendBatch([
                KafkaProducerMessage(topic: "done", key: "elsewhere-1", value: Array(done.serialized().utf8))
            ]).allSatisfy(\.isDelivered))
        XCTAssertEqual(try waitForResult(gateway, id: "elsewhere-1").status, 200)
        let path = "/v1/workflows/relay/events"
        let same = try http(gateway, "POST", path, body: #"{"text": "hi", "data": {"n": 1}, "id": "elsewhere-1"}"#)
        XCTAssertEqual(same.status, 202, same.body)
        let other = try http(gateway, "POST", path, body: #"{"text": "bye", "id": "elsewhere-1"}"#)
        XCTAssertEqual(other.status, 409, other.body)
        XCTAssertEqual(
            try http(gateway, "POST", path, body: #"{"text": "new", "id": "elsewhere-2"}"#).status, 202)
        let keys = try readAll("posts", expecting: 1).map { String(decoding: $0.key ?? [], as: UTF8.self) }
        XCTAssertEqual(keys, ["elsewhere-2"], "the retry of an event already out is not produced again")
    }

    // MARK: Atomic batches

    func testABatchWithAnEventPastTheBrokersLimitProducesNothing() throws {
        let workflow = try relayWorkflow()
        // librdkafka's own limit: a record past it is refused when enqueued.
        let gateway = try startGateway(workflow) { $0.properties["message.max.bytes"] = "2000" }
        let big = String(repeating: "d", count: 3_000)
        let reply = try http(
            gateway, "POST", "/v1/workflows/relay/events",
            body: #"[{"text": "small", "id": "s-1"}, {"text": "big", "id": "s-2", "data": {"blob": "\#(big)"}}]"#)
        XCTAssertEqual(reply.status, 413, reply.body)
        XCTAssertTrue(reply.body.contains("event 1") && reply.body.contains("2000"), reply.body)
        XCTAssertEqual(
            try http(gateway, "POST", "/v1/workflows/relay/events", body: #"{"text": "after", "id": "s-3"}"#).status,
            202)
        let keys = try readAll("posts", expecting: 1).map { String(decoding: $0.key ?? [], as: UTF8.self) }
        XCTAssertEqual(keys, ["s-3"], "nothing of the refused batch was produced")
    }
}
