import Foundation
import SluiceBench
import SluiceKafka
import XCTest

/// Smoke test only (small N): the figures themselves come from `sluice bench kafka`.
final class KafkaThroughputBenchmarkTests: XCTestCase {
    func testBenchmarkMovesEveryRecordBothWays() throws {
        let result = try KafkaThroughputBenchmark.run(records: 2_000, recordSize: 100, partitions: 2)
        XCTAssertEqual(result.records, 2_000)
        XCTAssertEqual(result.duplicatesConsumed, 0)
        XCTAssertGreaterThan(result.produceRecordsPerSecond, 100)
        XCTAssertGreaterThan(result.consumeRecordsPerSecond, 100)
        XCTAssertTrue(result.description.contains("records/s"))
    }

    func testTansuPerfBaselineCountsWhatItProduced() throws {
        let result = try TansuPerfBaseline.runProduce(seconds: 2, recordSize: 100, batchSize: 100)
        XCTAssertGreaterThan(result.records, 0)
        XCTAssertGreaterThan(result.recordsPerSecond, 0)
    }
}
