import Foundation
import SluiceJSON
import SluiceML
import SluiceTesting
import XCTest

/// Head files whose numbers pass Int.max once multiplied or added: they must be refused
/// with a reason, not trap (the fuzz harness and a review of its findings, docs/fuzzing.md).
final class HeadFileOverflowTests: XCTestCase {
    func assertRefused(_ bytes: [UInt8], mentioning needle: String, file: StaticString = #filePath, line: UInt = #line)
        throws
    {
        let root = try JSONValue.parse(bytes)
        XCTAssertThrowsError(try HeadFile.parse(root), file: file, line: line) { error in
            XCTAssertTrue(String(describing: error).contains(needle), "\(error)", file: file, line: line)
        }
    }

    /// The fuzzer's input: json-c reads the 40-digit count as Int64.max, and the total of the
    /// confusion matrix overflowed when the head was written back.
    func testConfusionCountsWhoseTotalOverflowsAreRefused() throws {
        let path = PackagePaths.root.appendingPathComponent(
            "Tests/FuzzCorpus/head-file/regression-confusion-total-overflow.json"
        ).path
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        try assertRefused(Array(bytes), mentioning: "'metrics.confusion' must hold counts")
        try assertRefused(
            Array(Self.softmax(metrics: #"{"confusion": [[-5, 0], [0, 0]]}"#).utf8), mentioning: "counts of at least 0")
    }

    func testShapesWhoseSizeOverflowsAreRefused() throws {
        // 2^62 × 2 values overflow the product; 2^61 × 1 values overflow their byte count.
        try assertRefused(
            Array(Self.softmax(dimension: 4_611_686_018_427_387_904).utf8),
            mentioning: "holds more values than any file can")
        try assertRefused(
            Array(Self.softmax(dimension: 2_305_843_009_213_693_952, labels: 1).utf8), mentioning: "holds more values")
    }

    /// A softmax head file whose shapes follow `dimension` and `labels`, with data for a 3×2 head.
    static func softmax(dimension: Int = 3, labels: Int = 2, metrics: String = "null") -> String {
        let names = (0..<labels).map { "\"l\($0)\"" }.joined(separator: ",")
        return """
            {"format": "sluice-head/1", "version": "1", "kind": "softmax", "labels": [\(names)],
             "input_dimension": \(dimension), "model": "m", "metrics": \(metrics),
             "weights": {"weight": {"shape": [\(dimension), \(labels)], "data": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
                         "bias": {"shape": [\(labels)], "data": "AAAAAAAAAAA="}}}
            """
    }
}
