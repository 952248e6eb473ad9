import XCTest
final class KafkaPlaceholderTests: XCTestCase { func testNothingYet() { XCTAssertEqual(1 + 1, 2) } }
