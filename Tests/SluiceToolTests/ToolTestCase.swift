import Foundation
import SluiceBroker
import SluiceKafka
import SluiceTesting
import XCTest

/// The frame of the `sluice` command tests: the built binary run as a subprocess
/// against an embedded Tansu broker started per test, in a scratch folder of its own.
/// Each subject has its own subclass (TopicsCommandTests, ProduceConsumeTests, ...).
class ToolTestCase: XCTestCase {
    var broker: EmbeddedBroker!
    var directory: URL!

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw XCTSkip(
                "\(Self.binary.path) is not built: run `swift build -c release --product sluice` (make test does)")
        }
        broker = try TestBroker.start()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sluice-tool-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        broker?.stop()
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    // MARK: Helpers

    static var binary: URL { PackagePaths.sluiceBinary }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try (text + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Runs `sluice` with SLUICE_BROKERS set to the test's broker; output goes
    /// through files so a full pipe can never stall the child.
    func sluice(_ arguments: [String], stdin: String = "", timeout: TimeInterval = 60) throws -> Outcome {
        let id = UUID().uuidString.prefix(8)
        let inURL = directory.appendingPathComponent("in-\(id)")
        let outURL = directory.appendingPathComponent("out-\(id)")
        let errURL = directory.appendingPathComponent("err-\(id)")
        try Data(stdin.utf8).write(to: inURL)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SLUICE_BROKERS"] = broker.bootstrapServers
        process.environment = environment
        process.currentDirectoryURL = PackagePaths.root
        process.standardInput = try FileHandle(forReadingFrom: inURL)
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            XCTFail("sluice \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }
}
