import Foundation
import XCTest

/// `sluice topics apply` and `topics list`: create, report existing, refuse a bad file with its line.
final class TopicsCommandTests: ToolTestCase {
    func testTopicsApplyCreatesThenReportsExisting() throws {
        let file = try write(
            "topics.yaml",
            """
            topics:
              posts: { partitions: 4, config: { retention.ms: "86400000" } }
              features: { partitions: 2 }
            """)
        let first = try sluice(["topics", "apply", file])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.lines, ["created posts (4 partitions)", "created features (2 partitions)"])

        let second = try sluice(["topics", "apply", file])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(second.lines, ["exists posts (4 partitions)", "exists features (2 partitions)"])

        let differing = try write("more.yaml", "topics:\n  posts: { partitions: 8 }\n")
        let third = try sluice(["topics", "apply", differing])
        XCTAssertEqual(third.status, 0, third.stderr)
        XCTAssertEqual(third.lines, ["exists posts (4 partitions)"])
        XCTAssertTrue(third.stderr.contains("posts has 4 partitions"), third.stderr)
        XCTAssertTrue(third.stderr.contains("wants 8"), third.stderr)
        XCTAssertTrue(third.stderr.contains("not changed"), third.stderr)

        let list = try sluice(["topics", "list"])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.lines.contains { $0.hasPrefix("posts") && $0.hasSuffix("4 partitions") }, list.stdout)
    }

    func testMalformedFileExitsNonZeroWithLocation() throws {
        let file = try write(
            "bad.yaml",
            """
            topics:
              posts: { partitions: 4 }
              features: { partitions: many }
            """)
        let result = try sluice(["topics", "apply", file])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("\(file):3"), result.stderr)
        XCTAssertTrue(result.stderr.contains("partitions"), result.stderr)
        XCTAssertEqual(result.stdout, "")
    }
}
