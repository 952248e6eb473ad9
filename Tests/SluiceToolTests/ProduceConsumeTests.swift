import Foundation
import XCTest

/// `sluice produce` and `consume`: stamped ids, non-JSON lines kept and counted, missing topics reported, not created.
final class ProduceConsumeTests: ToolTestCase {
    func testMissingTopicIsReportedNotCreated() throws {
        for arguments in [["consume", "--topic", "missing", "--max", "1"], ["produce", "--topic", "missing"]] {
            let result = try sluice(arguments, stdin: "{}\n", timeout: 30)
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains("topic 'missing' does not exist"), result.stderr)
        }
        let list = try sluice(["topics", "list"])
        XCTAssertFalse(list.stdout.contains("missing"), list.stdout)
    }

    func testProduceFillsInIdsAndConsumeReturnsEverything() throws {
        let topics = try write("topics.yaml", "topics:\n  posts: { partitions: 4 }\n")
        XCTAssertEqual(try sluice(["topics", "apply", topics]).status, 0)
        var input = ""
        for index in 0..<500 {
            input += "{\"text\": \"post number \(index)\"}\n"
            if index % 25 == 0 { input += "{broken \(index / 25)\n\n" }
        }
        let produced = try sluice(["produce", "--topic", "posts"], stdin: input)
        XCTAssertEqual(produced.status, 0, produced.stderr)
        XCTAssertTrue(produced.stderr.contains("520 acked, 0 failed"), produced.stderr)
        XCTAssertTrue(produced.stderr.contains("20 lines were not JSON objects"), produced.stderr)

        let consumed = try sluice(["consume", "--topic", "posts", "--from-beginning", "--max", "520"])
        XCTAssertEqual(consumed.status, 0, consumed.stderr)
        XCTAssertEqual(consumed.lines.count, 520)
        var objects = 0
        var strings = 0
        var ids = Set<String>()
        for line in consumed.lines {
            let value = try JSONSerialization.jsonObject(with: Data(line.utf8), options: .fragmentsAllowed)
            if let object = value as? [String: Any] {
                objects += 1
                if let id = object["id"] as? String, UUID(uuidString: id) != nil { ids.insert(id) }
                XCTAssertNotNil(object["created_at"] as? NSNumber, line)
                XCTAssertNotNil(object["text"] as? String, line)
            } else if let text = value as? String {
                strings += 1
                XCTAssertTrue(text.hasPrefix("{broken"), text)
            }
        }
        XCTAssertEqual(objects, 500)
        XCTAssertEqual(ids.count, 500)
        XCTAssertEqual(strings, 20)
    }
}
