import Foundation
import SluiceBroker
import SluiceKafka
import XCTest

/// The embedded broker's process life: tied to ours, not to the thread that started it, and stopped at once.
final class EmbeddedBrokerLifetimeTests: XCTestCase {
    /// PR_SET_PDEATHSIG fires when the thread that forked the child exits. A broker
    /// started from a short-lived thread must outlive that thread.
    func testBrokerStartedFromAThreadThatEndsKeepsAnswering() throws {
        let made = Locked<Result<EmbeddedBroker, any Error>?>(nil)
        let ended = DispatchSemaphore(value: 0)
        let thread = Thread {
            made.withLock { $0 = Result { try EmbeddedBroker() } }
            ended.signal()
        }
        thread.start()
        XCTAssertEqual(ended.wait(timeout: .now() + 30), .success, "the broker did not start within 30 s")
        let broker = try XCTUnwrap(made.withLock { $0 }).get()
        defer { broker.stop() }
        while !thread.isFinished { Thread.sleep(forTimeInterval: 0.05) }
        Thread.sleep(forTimeInterval: 1.5)  // a death signal would have arrived by now
        XCTAssertTrue(broker.isRunning, "the broker died with the thread that started it; see \(broker.logFile.path)")
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: broker.bootstrapServers))
        XCTAssertNoThrow(try admin.createTopics([KafkaNewTopic(name: "still-here")]))
        XCTAssertTrue(try admin.listTopics().contains { $0.name == "still-here" })
    }

    /// Tansu sits out 5 s after SIGTERM while clients are connected; stop() must not wait for that.
    func testStopWithConnectedClientsIsQuickAndLeavesNoProcess() throws {
        let broker = try EmbeddedBroker()
        let producer = try KafkaProducer(
            config: KafkaProducerConfig(common: KafkaConfig(bootstrapServers: broker.bootstrapServers)))
        defer { producer.close() }
        _ = try KafkaAdmin(config: KafkaConfig(bootstrapServers: broker.bootstrapServers)).createTopics([
            KafkaNewTopic(name: "t")
        ])
        XCTAssertTrue(
            try producer.sendBatch([KafkaProducerMessage(topic: "t", key: "k", value: [1])]).allSatisfy(\.isDelivered))
        let pid = broker.pid
        let started = Date()
        broker.stop()
        let took = Date().timeIntervalSince(started)
        XCTAssertLessThan(took, 1, "stop() took \(took) s")
        XCTAssertFalse(broker.isRunning)
        XCTAssertNotEqual(processState(pid), "running", "pid \(pid) still runs after stop()")
    }

    /// "running", "zombie" or "gone", from /proc/PID/stat.
    func processState(_ pid: Int32) -> String {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return "gone" }
        return stat[stat.index(close, offsetBy: 2)] == "Z" ? "zombie" : "running"
    }
}
