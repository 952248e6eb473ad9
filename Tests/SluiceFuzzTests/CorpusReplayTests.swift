import Foundation
import SluiceFuzzHarness
import XCTest

/// Every committed fuzz input (seeds, and the inputs of crashes found and fixed) goes
/// through its harness again, so that a fixed crash stays fixed without a fuzzer.
final class CorpusReplayTests: XCTestCase {
    static let corpusRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("FuzzCorpus").path

    func replay(_ harness: FuzzHarness, file: StaticString = #filePath, line: UInt = #line) throws {
        let inputs = FuzzInputs.files(under: ["\(Self.corpusRoot)/\(harness.name)"])
        XCTAssertGreaterThanOrEqual(inputs.count, 5, "too few seeds for \(harness.name)", file: file, line: line)
        for input in inputs {
            let bytes = try XCTUnwrap(FileManager.default.contents(atPath: input), input)
            XCTAssertNoThrow(try harness.check(Array(bytes)), input, file: file, line: line)
        }
    }

    func testEnvelopeCorpus() throws { try replay(.envelope) }
    func testWorkflowCorpus() throws { try replay(.workflow) }
    func testHeadFileCorpus() throws { try replay(.headFile) }
    func testIntakeCorpus() throws { try replay(.intake) }

    /// A folder without a harness (a misspelt name) would never be replayed.
    func testEveryCorpusFolderHasAHarness() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.corpusRoot).filter { !$0.hasPrefix(".") }
        XCTAssertEqual(Set(folders), Set(FuzzHarness.all.map(\.name)))
    }
}
