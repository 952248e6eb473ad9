import Foundation
import SluiceGateway
import SluiceJSON
import SluiceKafka
import XCTest

/// The gateway under faults and load, over loopback HTTP against a real broker: readiness
/// that fails while the producer is unusable and the producer rebuilt, and bounds on time
/// (idle, head and body timeouts) and on load (concurrent requests, predict waiters, status).
final class GatewayReadinessAndBoundsTests: GatewayTestCase {
    // MARK: Readiness

    func testAFatalProducerErrorFailsReadinessAndTheProducerIsRebuilt() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow) { $0.registry = nil }
        XCTAssertEqual(try http(gateway, "GET", "/readyz").status, 200)
        gateway.raiseProducerFatalErrorForTesting()
        Thread.sleep(forTimeInterval: 1.1)  // readiness is probed at most once a second
        let notReady = try http(gateway, "GET", "/readyz")
        XCTAssertEqual(notReady.status, 503, notReady.body)
        XCTAssertTrue(notReady.json?["checks"]?["producer"]?.stringValue?.hasPrefix("unusable") == true, notReady.body)
        XCTAssertEqual(gateway.producerRebuilds, 1)
        Thread.sleep(forTimeInterval: 1.1)
        let ready = try http(gateway, "GET", "/readyz")
        XCTAssertEqual(ready.status, 200, "the new producer is usable: \(ready.body)")
        XCTAssertEqual(
            try http(gateway, "POST", "/v1/workflows/relay/events", body: #"{"text": "a", "id": "f-1"}"#).status, 202)
        // A fatal error seen by a request first: that request fails, the next one is produced.
        gateway.raiseProducerFatalErrorForTesting()
        let failed = try http(gateway, "POST", "/v1/workflows/relay/events", body: #"{"text": "b", "id": "f-2"}"#)
        XCTAssertEqual(failed.status, 503, failed.body)
        XCTAssertNotNil(failed.headers["retry-after"])
        let again = try http(gateway, "POST", "/v1/workflows/relay/events", body: #"{"text": "b", "id": "f-2"}"#)
        XCTAssertEqual(again.status, 202, "the retry of the refused event goes in: \(again.body)")
        XCTAssertEqual(gateway.producerRebuilds, 2)
        let keys = try readAll("posts", expecting: 2).map { String(decoding: $0.key ?? [], as: UTF8.self) }
        XCTAssertEqual(keys.sorted(), ["f-1", "f-2"])
        let lag = try http(gateway, "GET", "/readyz").json?["checks"]?["results_lag"]?.intValue
        XCTAssertEqual(lag, 0, "the follower's lag is part of readiness")
    }

    /// A broker frozen for longer than the produce timeout: the posts meanwhile are
    /// answered 503 within that timeout, and once it is back posts go through again and
    /// the gateway is ready (Tansu fences the producer whose requests timed out).
    func testAfterABrokerPausePastTheProduceTimeoutPostsGoThroughAgain() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow) {
            $0.produceTimeoutMs = 2_000
            $0.registry = nil
        }
        let path = "/v1/workflows/relay/events"
        XCTAssertEqual(try http(gateway, "POST", path, body: #"{"text": "before", "id": "p-0"}"#).status, 202)
        let pid = broker.pid
        kill(pid, SIGSTOP)
        var resumed = false
        defer { if !resumed { kill(pid, SIGCONT) } }
        let started = Date()
        let during = try http(gateway, "POST", path, body: #"{"text": "during", "id": "p-1"}"#)
        let waited = Date().timeIntervalSince(started)
        XCTAssertEqual(during.status, 503, during.body)
        XCTAssertLessThan(waited, 6, "answered within the produce timeout, not queued")
        Thread.sleep(forTimeInterval: 2)
        kill(pid, SIGCONT)
        resumed = true
        var attempts = 0
        var after = try http(gateway, "POST", path, body: #"{"text": "after", "id": "p-2"}"#)
        let deadline = Date().addingTimeInterval(30)
        while after.status != 202 && Date() < deadline {
            attempts += 1
            Thread.sleep(forTimeInterval: 0.5)
            after = try http(gateway, "POST", path, body: #"{"text": "after", "id": "p-2"}"#)
        }
        XCTAssertEqual(after.status, 202, "after \(attempts) retries: \(after.body)")
        Thread.sleep(forTimeInterval: 1.1)
        let ready = try http(gateway, "GET", "/readyz")
        XCTAssertEqual(ready.status, 200, ready.body)
    }

    /// Once readiness has found the broker unreachable, a POST is answered 503 at once
    /// instead of after the produce timeout, and posts go through again when it is back.
    func testWhileTheBrokerIsDownPostsAre503AtOnce() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow) {
            $0.produceTimeoutMs = 10_000
            $0.registry = nil
        }
        let path = "/v1/workflows/relay/events"
        XCTAssertEqual(try http(gateway, "POST", path, body: #"{"text": "before", "id": "d-0"}"#).status, 202)
        let pid = broker.pid
        kill(pid, SIGSTOP)
        var resumed = false
        defer { if !resumed { kill(pid, SIGCONT) } }
        Thread.sleep(forTimeInterval: 1.1)
        XCTAssertEqual(try http(gateway, "GET", "/readyz", timeout: 30).status, 503)
        for attempt in 0..<3 {
            let started = Date()
            let refused = try http(gateway, "POST", path, body: #"{"text": "during", "id": "d-1"}"#)
            XCTAssertEqual(refused.status, 503, refused.body)
            XCTAssertLessThan(Date().timeIntervalSince(started), 2, "attempt \(attempt): not held for the 10 s timeout")
            XCTAssertTrue(refused.body.contains("broker-unavailable"), refused.body)
            XCTAssertEqual(refused.headers["retry-after"], "2")
        }
        kill(pid, SIGCONT)
        resumed = true
        let deadline = Date().addingTimeInterval(30)
        var after = try http(gateway, "POST", path, body: #"{"text": "during", "id": "d-1"}"#)
        while after.status != 202 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.5)
            after = try http(gateway, "POST", path, body: #"{"text": "during", "id": "d-1"}"#)
        }
        XCTAssertEqual(after.status, 202, "the refused event goes in once the broker is back: \(after.body)")
        let keys = try readAll("posts", expecting: 2).map { String(decoding: $0.key ?? [], as: UTF8.self) }
        XCTAssertEqual(keys.sorted(), ["d-0", "d-1"], "refused posts produced nothing")
    }

    // MARK: Bounds

    func testIdleConnectionsAndUnfinishedHeadsAreClosed() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow) { $0.idleTimeoutSeconds = 1 }
        let silent = try RawConnection(port: gateway.port!)
        let slow = try RawConnection(port: gateway.port!)
        try slow.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        let started = Date()
        XCTAssertTrue(silent.read(timeout: 5).closed, "a connection that sends nothing is closed")
        XCTAssertTrue(slow.read(timeout: 5).closed, "a head that never ends is closed")
        XCTAssertLessThan(Date().timeIntervalSince(started), 4)
        // A kept-alive connection answers, then is closed once idle.
        let kept = try RawConnection(port: gateway.port!)
        try kept.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let answer = kept.read(until: "\"ok\"", timeout: 5)
        XCTAssertTrue(answer.text.hasPrefix("HTTP/1.1 200"), answer.text)
        XCTAssertFalse(answer.closed)
        XCTAssertTrue(kept.read(timeout: 5).closed, "closed after a second idle")
    }

    /// A body trickled in slower than the body deadline is answered 408 and produces nothing.
    func testABodySentTooSlowlyIsRefused() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow) {
            $0.bodyTimeoutSeconds = 1
            $0.idleTimeoutSeconds = 5
        }
        let body = #"{"text": "slow", "id": "slow-body"}"#
        let connection = try RawConnection(port: gateway.port!)
        try connection.send(
            "POST /v1/workflows/relay/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n")
        let started = Date()
        var answer = ""
        for character in body where answer.isEmpty && Date().timeIntervalSince(started) < 10 {
            try? connection.send(String(character))
            answer = connection.read(until: "\r\n\r\n", timeout: 0.3).text
        }
        if answer.isEmpty { answer = connection.read(until: "\r\n\r\n", timeout: 3).text }
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 408"), answer)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertEqual(try readAll("posts", expecting: 0, timeout: 1).count, 0, "nothing was produced")
    }

    func testConcurrentRequestsAndPredictWaitersAreCapped() throws {
        let workflow = try relayWorkflow()
        // No worker: a predict waits its whole timeout.
        let capped = try startGateway(workflow) { $0.maxConcurrentRequests = 1 }
        let waiting = DispatchSemaphore(value: 0)
        let cappedPort = capped.port!
        Thread {
            // With a cap of one, the dashboard polls below can take the slot first and this
            // predict is refused: it tries again until it holds the slot for its whole wait.
            for attempt in 0..<100 {
                let reply = try? Self.http(
                    port: cappedPort, "POST", "/v1/workflows/relay/predict?timeout_ms=3000",
                    body: #"{"text": "wait", "id": "c-1-\#(attempt)"}"#)
                if reply?.status != 503 { break }
                Thread.sleep(forTimeInterval: 0.01)
            }
            waiting.signal()
        }.start()
        var busy = try http(capped, "GET", "/v1/dashboard")
        let deadline = Date().addingTimeInterval(5)
        while busy.status != 503 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            busy = try http(capped, "GET", "/v1/dashboard")
        }
        XCTAssertEqual(busy.status, 503, busy.body)
        XCTAssertEqual(busy.headers["retry-after"], "1")
        XCTAssertEqual(try http(capped, "GET", "/healthz").status, 200, "liveness is outside the cap")
        XCTAssertEqual(waiting.wait(timeout: .now() + 15), .success)
        XCTAssertEqual(try http(capped, "GET", "/v1/dashboard").status, 200, "free again")

        let fewWaiters = try startGateway(workflow) { $0.maxPredictWaiters = 1 }
        let waited = DispatchSemaphore(value: 0)
        let fewPort = fewWaiters.port!
        Thread {
            _ = try? Self.http(
                port: fewPort, "POST", "/v1/workflows/relay/predict?timeout_ms=3000",
                body: #"{"text": "w", "id": "c-2"}"#)
            waited.signal()
        }.start()
        let until = Date().addingTimeInterval(5)
        while try metric(fewWaiters, "sluice_gateway_predict_waiting") != 1 && Date() < until {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let second = try http(
            fewWaiters, "POST", "/v1/workflows/relay/predict?timeout_ms=3000", body: #"{"text": "w2", "id": "c-3"}"#)
        XCTAssertEqual(second.status, 503, second.body)
        XCTAssertEqual(second.headers["retry-after"], "1")
        XCTAssertEqual(waited.wait(timeout: .now() + 10), .success)
    }

    func testAnsweredPredictsLeaveNoTimerBehind() throws {
        let workflow = try relayWorkflow()
        try startWorker(workflow, stage: "pass")
        let gateway = try startGateway(workflow)
        for index in 0..<10 {
            let reply = try http(
                gateway, "POST", "/v1/workflows/relay/predict?timeout_ms=60000", body: #"{"text": "t \#(index)"}"#)
            XCTAssertEqual(reply.status, 200, reply.body)
        }
        var timers = try metric(gateway, "sluice_gateway_predict_timers")
        let deadline = Date().addingTimeInterval(3)
        while timers != 0 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            timers = try metric(gateway, "sluice_gateway_predict_timers")
        }
        XCTAssertEqual(timers, 0, "each answered predict cancelled its 60 s timer")
        XCTAssertEqual(try metric(gateway, "sluice_gateway_predict_waiting"), 0)
    }

    /// Many status requests read the registry a few times, not once each.
    func testStatusIsServedFromASharedView() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow) { $0.statusRefreshSeconds = 2 }
        let started = Date()
        let group = DispatchGroup()
        let codes = StatusCodes()
        let port = gateway.port!
        for _ in 0..<40 {
            group.enter()
            Thread {
                codes.add((try? Self.http(port: port, "GET", "/v1/status").status) ?? -1)
                group.leave()
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(codes.all, Array(repeating: 200, count: 40))
        XCTAssertLessThanOrEqual(
            gateway.statusReads, 1 + Int(elapsed / 2) + 1,
            "\(gateway.statusReads) reads in \(elapsed) s for 40 requests")
        let reply = try http(gateway, "GET", "/v1/status")
        XCTAssertNotNil(reply.headers["age"], "says how old the view is")
    }

    private func metric(_ gateway: Gateway, _ name: String) throws -> Double? {
        let text = try http(gateway, "GET", "/metrics").body
        let line = text.split(separator: "\n").first { $0.hasPrefix("\(name){") }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }
}

final class StatusCodes: @unchecked Sendable {
    private let lock = NSLock()
    private var codes: [Int] = []
    func add(_ code: Int) { lock.withLock { codes.append(code) } }
    var all: [Int] { lock.withLock { codes } }
}
