import SluiceKafka
import XCTest

final class LibrdkafkaVersionTests: XCTestCase {
    func testRefusesVersionsBefore2_2WithTheFix() {
        XCTAssertThrowsError(try LibrdkafkaVersion.check(0x0200_02ff)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("2.0.2"), text)
            XCTAssertTrue(text.contains("2.2.0"), text)
            XCTAssertTrue(
                text.contains("run `make setup` (scripts/setup.sh), which installs librdkafka >= 2.2 into .deps/lib"),
                text)
            XCTAssertEqual((error as? KafkaError)?.code, .unsupportedLibrary)
        }
    }

    func testAccepts2_2And2_16AndTheLoadedLibrary() throws {
        try LibrdkafkaVersion.check(0x0202_00ff)
        try LibrdkafkaVersion.check(0x0210_00ff)
        XCTAssertGreaterThanOrEqual(LibrdkafkaVersion.loadedHex, LibrdkafkaVersion.minimumHex)
        try LibrdkafkaVersion.check(LibrdkafkaVersion.loadedHex)
    }
}
