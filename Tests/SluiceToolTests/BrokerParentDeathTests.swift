import Foundation
import SluiceTesting
import XCTest

/// The embedded broker dies with the process that started it, even when that process is SIGKILLed.
final class BrokerParentDeathTests: ToolTestCase {
    func testBrokerDiesWhenSluiceBrokerIsKilled() throws {
        let output = directory.appendingPathComponent("broker.out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["broker"]
        process.currentDirectoryURL = PackagePaths.root
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let ready = ProcTable.wait(30) {
            (try? String(contentsOf: output, encoding: .utf8))?.contains("ready at") == true
        }
        XCTAssertTrue(ready, "sluice broker did not say 'ready at' within 30 s")
        let tansu = ProcTable.children(of: process.processIdentifier).filter {
            ProcTable.arguments(of: $0).contains { $0.hasSuffix("tansu") }
        }
        XCTAssertEqual(tansu.count, 1, "children: \(ProcTable.children(of: process.processIdentifier))")
        let child = try XCTUnwrap(tansu.first)
        defer { if ProcTable.isRunning(child) { kill(child, SIGKILL) } }  // never leak one, even on failure
        XCTAssertTrue(ProcTable.isRunning(child))

        kill(process.processIdentifier, SIGKILL)  // no handler of ours runs
        process.waitUntilExit()
        XCTAssertTrue(
            ProcTable.wait(5) { !ProcTable.isRunning(child) },
            "tansu (pid \(child)) still runs 5 s after its parent was SIGKILLed")
    }
}
