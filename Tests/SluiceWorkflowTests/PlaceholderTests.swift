import XCTest
final class WorkflowPlaceholderTests: XCTestCase { func testNothingYet() { XCTAssertEqual(1 + 1, 2) } }
