import Foundation
import SluiceGateway
import XCTest

/// Per-client limits over loopback HTTP: wrong tokens throttled per address, and
/// `rateLimit` per token (or address), each answered 429 with Retry-After.
final class GatewayLimitTests: GatewayTestCase {
    private let reader = "reader-token-0123456789abcdef0123"
    private let other = "other-token-0123456789abcdef01234"

    func testTenWrongTokensFromAnAddressAreAllItGetsForAWhile() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow) {
            $0.tokens = [reader: .read]
            $0.registry = nil
        }
        for attempt in 0..<10 {
            let guess = try http(gateway, "GET", "/v1/dashboard", token: "guess-\(attempt)-0123456789abcdef012")
            XCTAssertEqual(guess.status, 401, "attempt \(attempt)")
        }
        let blocked = try http(gateway, "GET", "/v1/dashboard", token: "guess-10-0123456789abcdef0123")
        XCTAssertEqual(blocked.status, 429, blocked.body)
        XCTAssertGreaterThanOrEqual(Int(blocked.headers["retry-after"] ?? "") ?? 0, 1)
        XCTAssertEqual(
            try http(gateway, "GET", "/v1/dashboard", token: reader).status, 429,
            "while blocked no token is checked at all: a right guess would otherwise get through")
        XCTAssertEqual(try http(gateway, "GET", "/healthz").status, 200, "health stays open")
        XCTAssertEqual(try http(gateway, "GET", "/v1/dashboard").status, 401, "without a token: nothing to guess")
    }

    func testARateLimitHoldsPerTokenWithRetryAfter() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow) {
            $0.tokens = [reader: .read, other: .read]
            $0.rateLimit = 5
            $0.registry = nil
        }
        var codes: [Int] = []
        var retryAfter: String?
        for _ in 0..<25 {
            let reply = try http(gateway, "GET", "/v1/dashboard", token: reader)
            codes.append(reply.status)
            if reply.status == 429 { retryAfter = reply.headers["retry-after"] }
        }
        XCTAssertGreaterThanOrEqual(codes.filter { $0 == 200 }.count, 10, "a burst of twice the rate: \(codes)")
        XCTAssertGreaterThan(codes.filter { $0 == 429 }.count, 0, "past the burst: \(codes)")
        XCTAssertEqual(retryAfter, "1")
        XCTAssertEqual(try http(gateway, "GET", "/v1/dashboard", token: other).status, 200, "each token its own bucket")
    }

    func testTheBucketsRefillAndStayBounded() {
        let clock = Clock()
        let limits = ClientLimits(rate: 2, maxClients: 100, clock: { clock.now() })
        XCTAssertEqual((0..<4).map { _ in limits.admit("a") == nil }, [true, true, true, true], "burst of 2 x rate")
        XCTAssertEqual(limits.admit("a") ?? 0, 0.5, accuracy: 1e-9, "the wait until one is back")
        clock.advance(0.5)
        XCTAssertNil(limits.admit("a"), "one back after 1/rate s")
        for client in 0..<1_000 { _ = limits.admit("c\(client)") }
        XCTAssertLessThanOrEqual(limits.clients, 100)
        for _ in 0..<10 { limits.failed("10.0.0.9") }
        XCTAssertEqual(limits.blockedForFailures("10.0.0.9") ?? 0, 6, accuracy: 1e-9)
        XCTAssertNil(limits.blockedForFailures("10.0.0.8"), "per address")
        clock.advance(6)
        XCTAssertNil(limits.blockedForFailures("10.0.0.9"), "one try back after 6 s")
    }
}

/// A settable clock for `ClientLimits`.
final class Clock: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds = 1_000.0
    func now() -> Double { lock.withLock { seconds } }
    func advance(_ by: Double) { lock.withLock { seconds += by } }
}
