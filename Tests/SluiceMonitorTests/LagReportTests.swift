import SluiceMonitor
import XCTest

final class LagReportTests: XCTestCase {
    func testLagPerPartitionAndTotalClampedAtZero() {
        let report = LagReport.compute(
            highWatermarks: [0: 100, 1: 50, 2: 10, 3: 7],
            committed: [0: 60, 1: 55, 2: -1001])  // 1 reads ahead of a trailing watermark; 2 invalid; 3 none
        XCTAssertEqual(report.partitions.map(\.partition), [0, 1, 2, 3])
        XCTAssertEqual(report.partitions.map(\.lag), [40, 0, 10, 7])
        XCTAssertEqual(report.partitions.map(\.committed), [60, 55, nil, nil])
        XCTAssertEqual(report.total, 57)
        XCTAssertTrue(LagReport.embeddedBrokerNote.contains("Tansu"))
    }
}
