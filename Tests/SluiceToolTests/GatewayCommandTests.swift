import Foundation
import SluiceTesting
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `sluice gateway` through the built binary.
final class GatewayCommandTests: ToolTestCase {
    /// `sluice gateway --tokens-file`: tokens (comments and blank lines skipped) with their
    /// scopes guard the /v1 routes of the running command, SLUICE_GATEWAY_TOKENS adds
    /// more, and SIGTERM stops it with status 0.
    func testGatewayCommandReadsTokensFileAndStopsOnSigterm() throws {
        let alpha = "alpha-token-0123456789abcdef01234"
        let beta = "beta-token-0123456789abcdef012345"
        let readOnly = "reader-token-0123456789abcdef0123"
        let envReader = "env-reader-0123456789abcdef012345"
        let envWriter = "env-writer-0123456789abcdef012345"
        XCTAssertEqual(try sluice(["topics", "apply", "topics/sentiment-monitoring.yaml"]).status, 0)
        let empty = try write("empty-tokens", "# no tokens yet\n\n")
        let refused = try sluice([
            "gateway", "--workflow", "topics/sentiment-monitoring.yaml", "--port", "0", "--tokens-file", empty,
        ])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("holds no token: put one token per line"), refused.stderr)
        let missing = try sluice([
            "gateway", "--workflow", "topics/sentiment-monitoring.yaml", "--tokens-file", "/no/such/file",
        ])
        XCTAssertTrue(missing.stderr.contains("cannot read the tokens file '/no/such/file'"), missing.stderr)
        let badScope = try write("bad-scope", "gamma-token-0123456789abcdef0123 admin\n")
        let wrongScope = try sluice([
            "gateway", "--workflow", "topics/sentiment-monitoring.yaml", "--port", "0", "--tokens-file", badScope,
        ])
        XCTAssertNotEqual(wrongScope.status, 0)
        XCTAssertTrue(wrongScope.stderr.contains("read or write, not 'admin'"), wrongScope.stderr)
        XCTAssertFalse(wrongScope.stderr.contains("gamma-token"), "a refusal never prints a token")
        let shortOnes = try write("short", "# fine first\n\(alpha)\nshort-secret-token write\n")
        let short = try sluice([
            "gateway", "--workflow", "topics/sentiment-monitoring.yaml", "--port", "0", "--tokens-file", shortOnes,
        ])
        XCTAssertNotEqual(short.status, 0)
        XCTAssertTrue(short.stderr.contains("entry 3: a token of 18 characters is too short"), short.stderr)
        XCTAssertFalse(short.stderr.contains("short-secret"), short.stderr)
        let malformed = try write("malformed", "\(alpha) write extra\n")
        let badLine = try sluice([
            "gateway", "--workflow", "topics/sentiment-monitoring.yaml", "--port", "0", "--tokens-file", malformed,
        ])
        XCTAssertTrue(badLine.stderr.contains("entry 1 is not 'TOKEN [read|write]'"), badLine.stderr)
        XCTAssertFalse(badLine.stderr.contains(alpha), badLine.stderr)
        let onCommandLine = try sluice([
            "gateway", "--workflow", "topics/sentiment-monitoring.yaml", "--port", "0", "--token", "tiny",
        ])
        XCTAssertTrue(onCommandLine.stderr.contains("too short"), onCommandLine.stderr)

        let tokens = try write(
            "tokens", "# team tokens\n\(alpha)\n\n  \(beta)   # the batch job\n\(readOnly) read\n")
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = [
            "gateway", "--workflow", "topics/sentiment-monitoring.yaml", "--port", "0", "--tokens-file", tokens,
            "--brokers", broker.bootstrapServers,
        ]
        process.currentDirectoryURL = PackagePaths.root
        var environment = ProcessInfo.processInfo.environment
        environment["SLUICE_GATEWAY_TOKENS"] = "\(envReader) read, \(envWriter) write"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("gw-\(UUID().uuidString).log").path
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // The first line names the address: "gateway for NAME: http://127.0.0.1:PORT/ ...".
        var line = ""
        let reader = output.fileHandleForReading
        while !line.hasSuffix("\n"), process.isRunning {
            let byte = reader.readData(ofLength: 1)
            if byte.isEmpty { break }
            line += String(decoding: byte, as: UTF8.self)
        }
        let port = try XCTUnwrap(
            line.range(of: #"127\.0\.0\.1:(\d+)/"#, options: .regularExpression).map {
                line[$0].dropFirst(10).dropLast()
            },
            line)
        func call(_ method: String, _ path: String, _ token: String?) throws -> Int {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            request.httpMethod = method
            if method == "POST" {
                request.httpBody = Data(#"{"text": "hello"}"#.utf8)
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            }
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            let done = DispatchSemaphore(value: 0)
            let status = StatusBox()
            URLSession.shared.dataTask(with: request) { _, response, _ in
                status.value = (response as? HTTPURLResponse)?.statusCode ?? -1
                done.signal()
            }.resume()
            XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
            return status.value
        }
        func post(_ token: String?) throws -> Int {
            try call("POST", "/v1/workflows/sentiment-monitoring/events", token)
        }
        XCTAssertEqual(try post(nil), 401)
        XCTAssertEqual(try post(alpha), 202)
        XCTAssertEqual(try post(beta), 202, "a token after spaces and before a comment")
        XCTAssertEqual(try post("# the batch job"), 401)
        XCTAssertEqual(try post(readOnly), 403, "a read token cannot post")
        XCTAssertEqual(try call("GET", "/v1/dashboard", readOnly), 200)
        XCTAssertEqual(try call("GET", "/v1/dashboard", nil), 401, "reads need a token too")
        XCTAssertEqual(try post(envWriter), 202, "a token from SLUICE_GATEWAY_TOKENS")
        XCTAssertEqual(try post(envReader), 403)
        XCTAssertEqual(try call("GET", "/healthz", nil), 200, "health stays open")
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertFalse(process.isRunning, "the gateway stops on SIGTERM")
        XCTAssertEqual(process.terminationStatus, 0)
        // The access log: a line per request, the token named by its id only.
        let log = try String(contentsOfFile: logPath, encoding: .utf8)
        // The id is the first 8 hex digits of the token's SHA-256, as sha256sum gives it.
        let digest = Process()
        digest.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let input = Pipe()
        let hashed = Pipe()
        digest.standardInput = input
        digest.standardOutput = hashed
        try digest.run()
        input.fileHandleForWriting.write(Data(alpha.utf8))
        try input.fileHandleForWriting.close()
        let alphaID = String(
            decoding: hashed.fileHandleForReading.readDataToEndOfFile().prefix(8), as: UTF8.self)
        digest.waitUntilExit()
        XCTAssertTrue(log.contains("\(alphaID) (write)"), "the start line lists the ids: \(log)")
        XCTAssertTrue(log.contains("POST /v1/workflows/{name}/events 202 "), log)
        XCTAssertTrue(log.contains(" ms token=\(alphaID)"), log)
        XCTAssertTrue(log.contains("POST /v1/workflows/{name}/events 401 "), log)
        XCTAssertTrue(log.contains("GET /v1/dashboard 200 "), log)
        XCTAssertTrue(log.contains("GET /healthz 200 "), log)
        for token in [alpha, beta, readOnly, envReader, envWriter] {
            XCTAssertFalse(log.contains(token), "a token in the log")
        }
    }
}

extension GatewayCommandTests {
    /// Without tokens, `--host` other than loopback is refused before anything binds,
    /// with what to do.
    func testGatewayCommandRefusesAnExposedAddressWithoutTokens() throws {
        let refused = try sluice([
            "gateway", "--workflow", "topics/sentiment-monitoring.yaml", "--port", "0", "--host", "0.0.0.0",
        ])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("refusing to serve on 0.0.0.0 without tokens"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--insecure"), "says what to do: \(refused.stderr)")
        XCTAssertTrue(refused.stderr.contains("--tokens-file"), refused.stderr)
    }
}

final class StatusBox: @unchecked Sendable {
    var value = 0
}
