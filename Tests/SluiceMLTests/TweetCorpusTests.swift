import Foundation
import SluiceML
import XCTest

final class TweetCorpusTests: XCTestCase {
    func testQuotedFieldsAndInvalidBytes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var bytes = Array(
            "sentiment,confidence,text\npositive,0.9,\"hello, \"\"world\"\"\nnext line\"\r\nnegative,0.5,bad ".utf8)
        bytes += [0xD1, 0x41]  // 0xD1 starts a 2-byte sequence, 'A' is no continuation
        bytes += Array("\nneutral,x,plain\n".utf8)
        let path = dir.appendingPathComponent("t.csv").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let (rows, replaced) = try TweetCorpus.load(path: path)
        XCTAssertEqual(rows.count, 3)
        XCTAssertEqual(rows[0], LabelledText(text: "hello, \"world\"\nnext line", label: "positive", confidence: 0.9))
        XCTAssertEqual(rows[1].text, "bad \u{FFFD}A")
        XCTAssertEqual(rows[2].confidence, 0)
        XCTAssertEqual(replaced, 1)
    }

    func testRealCorpusLoads() throws {
        guard let path = TweetCorpus.defaultPath() else { throw XCTSkip("corpus not set up") }
        let (rows, replaced) = try TweetCorpus.load(path: path)
        XCTAssertGreaterThan(rows.count, 30_000)
        XCTAssertGreaterThan(replaced, 0)
        XCTAssertTrue(rows.allSatisfy { !$0.label.isEmpty })
    }
}
