import Foundation
import SluiceKafka
import XCTest

final class KafkaRoundTripTests: KafkaBrokerTestCase {
    func testTenThousandRecordsComeBackOnceWithKeysHeadersAndPartitionOrder() throws {
        let topic = "round-trip"
        let count = 10_000
        try createTopic(topic, partitions: 4)
        let producer = try makeProducer()
        let messages = (0..<count).map { index in
            KafkaProducerMessage(
                topic: topic, key: "key-\(index % 97)", value: Array("value-\(index)".utf8),
                headers: [KafkaHeader(key: "index", value: "\(index)"), KafkaHeader(key: "empty", value: nil)])
        }
        let reports = try producer.sendBatch(messages)
        XCTAssertEqual(reports.filter { !$0.isDelivered }.count, 0)
        XCTAssertEqual(Set(reports.map(\.partition)).count, 4, "keys spread over all partitions")
        XCTAssertEqual(producer.inFlightCount, 0)
        producer.close()

        let consumer = try makeConsumer(group: "round-trip-group")
        defer { consumer.close() }
        try consumer.subscribe(topics: [topic])
        var seen = Set<Int>()
        var duplicates = 0
        var lastIndexByPartition: [Int32: Int] = [:]
        var lastOffsetByPartition: [Int32: Int64] = [:]
        var outOfOrder = 0
        let deadline = Date().addingTimeInterval(60)
        while seen.count < count && Date() < deadline {
            for record in try consumer.poll(maxRecords: 1_000, timeoutMs: 200) {
                let index = Int(text(record.headers.first { $0.key == "index" }?.value) ?? "") ?? -1
                XCTAssertEqual(text(record.key), "key-\(index % 97)")
                XCTAssertEqual(text(record.value), "value-\(index)")
                XCTAssertEqual(record.headers.map(\.key), ["index", "empty"])
                XCTAssertNil(record.headers.last?.value ?? nil, "a null header value stays null")
                XCTAssertEqual(reports[index].partition, record.partition)
                XCTAssertEqual(reports[index].offset, record.offset)
                XCTAssertNotNil(record.timestampMs)
                if !seen.insert(index).inserted {
                    duplicates += 1
                    continue
                }
                if let last = lastIndexByPartition[record.partition], last >= index { outOfOrder += 1 }
                if let last = lastOffsetByPartition[record.partition], last >= record.offset { outOfOrder += 1 }
                lastIndexByPartition[record.partition] = index
                lastOffsetByPartition[record.partition] = record.offset
            }
        }
        XCTAssertEqual(seen.count, count, "every record comes back")
        XCTAssertEqual(duplicates, 0, "one consumer, no rebalance: no redelivery expected")
        XCTAssertEqual(outOfOrder, 0, "order kept per partition")
    }
}
