import Foundation
import SluiceKafka
import XCTest

final class KafkaErrorTests: XCTestCase {
    func testWrongBrokerAddressFailsWithinBoundedTimeSayingSo() throws {
        let config = KafkaConfig(bootstrapServers: "127.0.0.1:1")
        let admin = try KafkaAdmin(config: config)
        let started = Date()
        XCTAssertThrowsError(try admin.listTopics(timeoutMs: 3_000)) { error in
            print("wrong-address error: \(error)")
            let kafkaError = error as? KafkaError
            XCTAssertEqual(kafkaError?.code, .brokerUnreachable)
            XCTAssertTrue("\(error)".contains("could not reach a Kafka broker at 127.0.0.1:1"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 8)
    }

    func testProducerToWrongAddressGetsAFailedReportWithinItsMessageTimeout() async throws {
        let producer = try KafkaProducer(
            config: KafkaProducerConfig(common: KafkaConfig(bootstrapServers: "127.0.0.1:1"), messageTimeoutMs: 2_000))
        let started = Date()
        let report = try await producer.send(topic: "nowhere", value: [1, 2, 3])
        XCTAssertNotNil(report.error)
        XCTAssertNil(report.offset)
        XCTAssertLessThan(Date().timeIntervalSince(started), 8)
        producer.close(flushTimeoutMs: 0)
    }

    func testUnknownPropertyFailsAtConstructionWithLibrdkafkasText() {
        let config = KafkaConfig(bootstrapServers: "127.0.0.1:9092", properties: ["no.such.property": "1"])
        XCTAssertThrowsError(try KafkaProducer(config: KafkaProducerConfig(common: config))) { error in
            XCTAssertEqual((error as? KafkaError)?.code, .invalidArgument)
            XCTAssertTrue("\(error)".contains("No such configuration property: \"no.such.property\""), "\(error)")
        }
    }

    func testInvalidValueFailsAtConstructionWithLibrdkafkasText() {
        let config = KafkaConfig(bootstrapServers: "127.0.0.1:9092", properties: ["session.timeout.ms": "soon"])
        XCTAssertThrowsError(try KafkaConsumer(config: KafkaConsumerConfig(common: config, groupID: "g"))) { error in
            XCTAssertTrue(
                "\(error)".contains("Invalid value for configuration property \"session.timeout.ms\""), "\(error)")
        }
    }
}
