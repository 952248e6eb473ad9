import Foundation
import SluiceKafka
import XCTest

/// What Tansu 0.6's memory engine (the embedded broker) does with retention configs:
/// nothing. It stores retention.ms, retention.bytes, segment.ms and segment.bytes but
/// never drops a record (its maintenance pass does not touch records; DeleteRecords is
/// unimplemented and drops the connection), so its memory grows with every record.
/// docs/embedded-broker-memory.md has the figures. If this test fails, Tansu started
/// honouring retention: make `sluice up` rely on it and update that page.
final class TansuMemoryRetentionTests: KafkaBrokerTestCase {
    func testMemoryEngineKeepsRecordsPastTheirRetention() throws {
        let tight = [
            "cleanup.policy": "delete", "retention.ms": "1000", "retention.bytes": "65536",
            "segment.ms": "1000", "segment.bytes": "65536",
        ]
        let admin = try makeAdmin()
        XCTAssertEqual(try admin.createTopics([KafkaNewTopic(name: "bounded", config: tight)])["bounded"], .created)
        let before = try XCTUnwrap(broker.residentBytes, "no /proc/\(broker.pid)/status")

        // 5 MB in 2,500 records of 2 KB, in batches of 250.
        let producer = try makeProducer()
        defer { producer.close() }
        let value = [UInt8](repeating: 0x61, count: 2_000)
        for batch in 0..<10 {
            let messages = (0..<250).map {
                KafkaProducerMessage(topic: "bounded", key: "k\(batch)-\($0)", value: value)
            }
            XCTAssertTrue(try producer.sendBatch(messages).allSatisfy(\.isDelivered))
        }
        Thread.sleep(forTimeInterval: 3)  // three times retention.ms and segment.ms

        let (low, high) = try admin.watermarks(topic: "bounded", partition: 0)
        XCTAssertEqual(low, 0, "the log start moved: Tansu now deletes old records (see the comment above)")
        XCTAssertGreaterThanOrEqual(high, 2_000, "records produced but not stored")
        let consumer = try makeConsumer(group: "reader")
        defer { consumer.close() }
        try consumer.assign([KafkaTopicPartitionOffset(topic: "bounded", partition: 0, offset: 0)])
        let first = try pollUntil(consumer, timeout: 10) { !$0.isEmpty }
        XCTAssertEqual(first.first?.offset, 0, "offset 0 is no longer readable")

        let grown = (try XCTUnwrap(broker.residentBytes)) - before
        XCTAssertGreaterThan(grown, 2_500_000, "5 MB produced but the broker grew only \(grown / 1_000_000) MB")
    }
}
