import Foundation
import SluiceGateway
import XCTest

/// DNS rebinding: a page of the attacker's site whose name is made to resolve to
/// 127.0.0.1 reaches a loopback gateway with `Host` and `Origin` both naming that site.
/// Only the `Host` allow-list tells it apart, so it is checked before anything else.
final class GatewayHostTests: GatewayTestCase {
    /// One raw request with the given Host (and Origin); the status code answered.
    private func status(
        _ gateway: Gateway, _ method: String, _ path: String, host: String?, origin: String? = nil, body: String? = nil
    ) throws -> (code: Int, text: String) {
        let connection = try RawConnection(port: gateway.port!)
        var head = "\(method) \(path) HTTP/1.1\r\n"
        if let host { head += "Host: \(host)\r\n" }
        if let origin { head += "Origin: \(origin)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        try connection.send(head + "Connection: close\r\n\r\n" + (body ?? ""))
        let text = connection.read(timeout: 10).text
        let code = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? -1
        return (code, text)
    }

    func testARebindingStyleRequestIsRefusedWith421InTokenlessMode() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow)
        let port = gateway.port!
        let foreign = "rebind.example:\(port)"
        let read = try status(gateway, "GET", "/v1/dashboard", host: foreign, origin: "http://\(foreign)")
        XCTAssertEqual(read.code, 421, read.text)
        XCTAssertTrue(read.text.contains("--public-host"), "the refusal names the fix: \(read.text)")
        let post = try status(
            gateway, "POST", "/v1/workflows/relay/events", host: foreign, origin: "http://\(foreign)",
            body: #"{"text": "from a rebinding page", "id": "rb-1"}"#)
        XCTAssertEqual(post.code, 421, post.text)
        for path in ["/", "/readyz", "/metrics", "/openapi.json", "/v1/status"] {
            XCTAssertEqual(try status(gateway, "GET", path, host: foreign).code, 421, path)
        }
        // The names a loopback gateway is really reached by.
        for host in ["127.0.0.1:\(port)", "localhost:\(port)", "LOCALHOST", "127.0.0.1", "[::1]:\(port)"] {
            XCTAssertEqual(try status(gateway, "GET", "/v1/dashboard", host: host).code, 200, host)
        }
        // A client that sends no Host at all (HTTP/1.0 tools) is no browser page.
        let bare = try RawConnection(port: port)
        try bare.send("GET /healthz HTTP/1.0\r\n\r\n")
        let answer = bare.read(timeout: 10).text
        XCTAssertTrue(answer.hasPrefix("HTTP/1.0 200") || answer.hasPrefix("HTTP/1.1 200"), answer)
        let good = try status(
            gateway, "POST", "/v1/workflows/relay/events", host: "127.0.0.1:\(port)",
            body: #"{"text": "from the gateway's own page", "id": "ok-1"}"#)
        XCTAssertEqual(good.code, 202, good.text)
        let keys = try readAll("posts", expecting: 1).map { String(decoding: $0.key ?? [], as: UTF8.self) }
        XCTAssertEqual(keys, ["ok-1"], "the refused post produced nothing")
    }

    func testPublicHostNamesAndAddressLiteralsAreServed() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow) { $0.publicHosts = ["Sluice.Example.org"] }
        let port = gateway.port!
        for host in ["sluice.example.org", "sluice.example.org:\(port)", "SLUICE.EXAMPLE.ORG.", "10.1.2.3:\(port)"] {
            XCTAssertEqual(try status(gateway, "GET", "/healthz", host: host).code, 200, host)
        }
        for host in ["example.org", "evil.sluice.example.org", "sluice.example.org.evil", "10.1.2.3.evil", "", " "] {
            XCTAssertEqual(try status(gateway, "GET", "/healthz", host: host).code, 421, "'\(host)'")
        }
    }

    func testTheAllowListReadsHostsAsBrowsersSendThem() {
        let list = HostAllowList(bind: "0.0.0.0", publicHosts: ["gw.internal"])
        XCTAssertTrue(list.allows("gw.internal:8080"))
        XCTAssertTrue(list.allows("[2001:db8::1]:8080"), "an address literal cannot be rebound")
        XCTAssertTrue(list.allows("192.168.1.20"))
        XCTAssertFalse(list.allows("192.168.1.256"))
        XCTAssertFalse(list.allows("[gw.internal]"))
        XCTAssertFalse(list.allows("gw.internal:80:80"))
        XCTAssertFalse(list.allows("gw.internal:port"))
        XCTAssertTrue(HostAllowList(bind: "gw.lan", publicHosts: []).allows("gw.lan:1"), "the --host name")
        XCTAssertFalse(HostAllowList(bind: "127.0.0.1", publicHosts: []).allows("gw.lan"))
    }
}
