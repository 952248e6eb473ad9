import Foundation
import SluiceKafka
import XCTest

final class KafkaAdminTests: KafkaBrokerTestCase {
    func testCreateListWatermarksCommittedOffsetsAndLag() async throws {
        let admin = try makeAdmin()
        let created = try admin.createTopics([
            KafkaNewTopic(name: "orders", partitions: 3), KafkaNewTopic(name: "audit", partitions: 1),
        ])
        XCTAssertEqual(created, ["orders": .created, "audit": .created])
        XCTAssertEqual(
            try admin.createTopics([KafkaNewTopic(name: "orders", partitions: 3)]), ["orders": .alreadyExists])

        let listed = try admin.listTopics().filter { ["orders", "audit"].contains($0.name) }
        XCTAssertEqual(listed.map(\.name), ["audit", "orders"])
        XCTAssertEqual(listed.map(\.partitionCount), [1, 3])
        XCTAssertEqual(try admin.describeTopic("orders").partitions, [0, 1, 2])

        let producer = try makeProducer()
        for partition in Int32(0)..<3 {
            for index in 0..<10 {
                let report = try await producer.send(
                    topic: "orders", value: Array("\(index)".utf8), partition: partition)
                XCTAssertEqual(report.offset, Int64(index))
            }
        }
        producer.close()
        for partition in Int32(0)..<3 {
            let marks = try admin.watermarks(topic: "orders", partition: partition)
            XCTAssertEqual(marks.low, 0)
            XCTAssertEqual(marks.high, 10, "partition \(partition)")
        }

        let consumer = try makeConsumer(group: "billing")
        try consumer.subscribe(topics: ["orders"])
        let records = try pollUntil(consumer, timeout: 30) { $0.count >= 30 }
        XCTAssertEqual(records.count, 30)
        try consumer.commit(offsets: [
            KafkaTopicPartitionOffset(topic: "orders", partition: 0, offset: 10),
            KafkaTopicPartitionOffset(topic: "orders", partition: 1, offset: 4),
        ])
        consumer.close()

        let committed = try admin.committedOffsets(group: "billing", topic: "orders")
        let expected: [Int32: Int64?] = [0: 10, 1: 4, 2: nil]
        XCTAssertEqual(committed, expected)
        let lag = try admin.lag(group: "billing", topic: "orders")
        XCTAssertEqual(lag.map(\.partition), [0, 1, 2])
        XCTAssertEqual(lag.map(\.lag), [0, 6, 10])
    }
}
