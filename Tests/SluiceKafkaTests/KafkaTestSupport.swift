import Foundation
import SluiceBroker
import SluiceKafka
import SluiceTesting
import XCTest

/// Shared helpers: a broker per test (Tansu starts in milliseconds, and
/// separate brokers keep groups and topics from leaking between tests).
class KafkaBrokerTestCase: XCTestCase {
    var broker: EmbeddedBroker!

    override func setUpWithError() throws {
        broker = try TestBroker.start()
    }

    override func tearDown() {
        broker?.stop()  // runs whether or not the test failed
        broker = nil
    }

    var common: KafkaConfig { KafkaConfig(bootstrapServers: broker.bootstrapServers, clientID: name) }

    func makeAdmin() throws -> KafkaAdmin { try KafkaAdmin(config: common) }

    func makeProducer(transactionalID: String? = nil) throws -> KafkaProducer {
        try KafkaProducer(config: KafkaProducerConfig(common: common, transactionalID: transactionalID))
    }

    func makeConsumer(
        group: String, isolation: KafkaConsumerConfig.IsolationLevel = .readCommitted
    ) throws -> KafkaConsumer {
        try KafkaConsumer(config: KafkaConsumerConfig(common: common, groupID: group, isolationLevel: isolation))
    }

    func createTopic(_ name: String, partitions: Int32) throws {
        let outcome = try makeAdmin().createTopics([KafkaNewTopic(name: name, partitions: partitions)])
        XCTAssertEqual(outcome[name], .created)
    }

    /// Polls until `done` says so or `timeout` s pass; returns everything polled.
    func pollUntil(
        _ consumer: KafkaConsumer, timeout: TimeInterval, done: ([KafkaRecord]) -> Bool
    ) throws -> [KafkaRecord] {
        var records: [KafkaRecord] = []
        let deadline = Date().addingTimeInterval(timeout)
        while !done(records) && Date() < deadline {
            records += try consumer.poll(maxRecords: 1_000, timeoutMs: 200)
        }
        return records
    }
}

/// A lock-protected value for test threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
    var current: Value { withLock { $0 } }
}

func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
