import Foundation
import SluiceTesting
import XCTest

/// `sluice gateway --tls-cert --tls-key`: HTTPS with a certificate made here by openssl,
/// checked with curl; and the refusal to serve tokens in clear past loopback.
final class GatewayTLSTests: ToolTestCase {
    private let token = "tls-test-token-0123456789abcdef0123"

    /// Runs a program to its end; its status and stdout.
    private func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    private func makeCertificate() throws -> (certificate: String, key: String) {
        let certificate = directory.appendingPathComponent("gateway.crt").path
        let key = directory.appendingPathComponent("gateway.key").path
        let made = try run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ])
        XCTAssertEqual(made.status, 0, "openssl made the certificate")
        return (certificate, key)
    }

    func testTheGatewayServesHTTPSWithTheGivenCertificate() throws {
        XCTAssertEqual(try sluice(["topics", "apply", "topics/sentiment-monitoring.yaml"]).status, 0)
        let (certificate, key) = try makeCertificate()
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = [
            "gateway", "--workflow", "topics/sentiment-monitoring.yaml", "--port", "0", "--brokers",
            broker.bootstrapServers, "--tls-cert", certificate, "--tls-key", key, "--token", token, "--no-access-log",
        ]
        process.currentDirectoryURL = PackagePaths.root
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var line = ""
        let reader = output.fileHandleForReading
        while !line.hasSuffix("\n"), process.isRunning {
            let byte = reader.readData(ofLength: 1)
            if byte.isEmpty { break }
            line += String(decoding: byte, as: UTF8.self)
        }
        let address = try XCTUnwrap(
            line.range(of: #"https://127\.0\.0\.1:\d+"#, options: .regularExpression).map { String(line[$0]) }, line)
        let health = try run("/usr/bin/curl", ["-sS", "--cacert", certificate, "\(address)/healthz"])
        XCTAssertEqual(health.status, 0, "curl verified the certificate and got an answer")
        XCTAssertTrue(health.output.contains("ok"), health.output)
        let posted = try run(
            "/usr/bin/curl",
            [
                "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", certificate, "-H",
                "Authorization: Bearer \(token)", "-H", "Content-Type: application/json", "-d",
                #"{"text": "over TLS"}"#,
                "\(address)/v1/workflows/sentiment-monitoring/events",
            ])
        XCTAssertEqual(posted.output, "202")
        let plain = try run(
            "/usr/bin/curl",
            [
                "-sS", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}",
                address.replacingOccurrences(of: "https", with: "http") + "/healthz",
            ])
        XCTAssertNotEqual(plain.output, "200", "no plain HTTP on the TLS port")
        let wrongCA = try run("/usr/bin/curl", ["-sS", "-m", "5", "\(address)/healthz"])
        XCTAssertNotEqual(
            wrongCA.status, 0, "an unknown certificate is not trusted by default: it is a real TLS handshake")
        process.terminate()
        process.waitUntilExit()
    }

    func testPastLoopbackTokensNeedTLSAndBadFilesAreNamed() throws {
        let plain = try sluice([
            "gateway", "--workflow", "topics/sentiment-monitoring.yaml", "--port", "0", "--host", "0.0.0.0",
            "--token", token,
        ])
        XCTAssertNotEqual(plain.status, 0)
        XCTAssertTrue(plain.stderr.contains("over plain HTTP"), plain.stderr)
        XCTAssertTrue(plain.stderr.contains("--tls-cert") && plain.stderr.contains("--behind-tls-proxy"), plain.stderr)
        let halfTLS = try sluice([
            "gateway", "--workflow", "topics/sentiment-monitoring.yaml", "--tls-cert", "/no/such.crt",
        ])
        XCTAssertTrue(halfTLS.stderr.contains("--tls-cert and --tls-key go together"), halfTLS.stderr)
        let missing = try sluice([
            "gateway", "--workflow", "topics/sentiment-monitoring.yaml", "--port", "0", "--tls-cert", "/no/such.crt",
            "--tls-key", "/no/such.key",
        ])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("'/no/such.crt' is not a readable PEM certificate"), missing.stderr)
    }
}
