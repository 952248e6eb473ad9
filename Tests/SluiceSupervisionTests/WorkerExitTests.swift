import Foundation
import SluiceSupervision
import XCTest

/// What the screen says about a dead worker: how it ended and its last log lines.
final class WorkerExitTests: XCTestCase {
    func testExitDescriptions() {
        XCTAssertEqual(WorkerExit.status(1).description, "exit status 1")
        XCTAssertEqual(WorkerExit.signal(9).description, "killed by signal 9 (SIGKILL)")
        XCTAssertTrue(WorkerExit.signal(4).description.contains("trap"), WorkerExit.signal(4).description)
    }

    func testLogTailSkipsBlankLinesAndCutsLongOnes() {
        let text =
            "started\n\nprocessing\n  \nFatal error: index out of range\n" + String(repeating: "x", count: 500) + "\n\n"
        let tail = LogTail.lines(of: text, count: 2, width: 40)
        XCTAssertEqual(tail, ["Fatal error: index out of range", String(repeating: "x", count: 40)])
        XCTAssertEqual(LogTail.lines(of: ""), [])
    }

    func testLogTailOfABigFileReadsItsEnd() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tail-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: url) }
        var text = ""
        for index in 0..<20_000 { text += "line \(index)\n" }
        try text.write(to: url, atomically: true, encoding: .utf8)
        XCTAssertEqual(LogTail.lines(ofFile: url, count: 3), ["line 19997", "line 19998", "line 19999"])
        XCTAssertEqual(LogTail.lines(ofFile: url.appendingPathExtension("missing")), [])
    }
}
