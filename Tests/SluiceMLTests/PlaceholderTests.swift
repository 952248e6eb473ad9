import XCTest
final class MLPlaceholderTests: XCTestCase { func testNothingYet() { XCTAssertEqual(1 + 1, 2) } }
