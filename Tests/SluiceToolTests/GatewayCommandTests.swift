import Foundation
import SluiceTesting
import XCTest

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `sluice gateway` through the built binary.
final class GatewayCommandTests: ToolTestCase {
    /// `sluice gateway --tokens-file`: tokens (comments and blank lines skipped) guard the
    /// POST routes of the running command, and SIGTERM stops it with status 0.
    func testGatewayCommandReadsTokensFileAndStopsOnSigterm() throws {
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

        let tokens = try write("tokens", "# team tokens\nalpha-token\n\n  beta-token   # the batch job\n")
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = [
            "gateway", "--workflow", "topics/sentiment-monitoring.yaml", "--port", "0", "--tokens-file", tokens,
            "--brokers", broker.bootstrapServers,
        ]
        process.currentDirectoryURL = PackagePaths.root
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
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
        func post(_ token: String?) throws -> Int {
            var request = URLRequest(
                url: URL(string: "http://127.0.0.1:\(port)/v1/workflows/sentiment-monitoring/events")!)
            request.httpMethod = "POST"
            request.httpBody = Data(#"{"text": "hello"}"#.utf8)
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
        XCTAssertEqual(try post(nil), 401)
        XCTAssertEqual(try post("alpha-token"), 202)
        XCTAssertEqual(try post("beta-token"), 202, "a token after spaces and before a comment")
        XCTAssertEqual(try post("# the batch job"), 401)
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertFalse(process.isRunning, "the gateway stops on SIGTERM")
        XCTAssertEqual(process.terminationStatus, 0)
    }
}

final class StatusBox: @unchecked Sendable {
    var value = 0
}
