import Foundation
import KeywordStage
import SluiceBroker
import SluiceEvents
import SluiceKafka
import SluicePipeline
import XCTest

/// The worker executable against a real broker: keywords on the output topic,
/// and what it cannot handle on the dead-letter topic with its reason.
final class KeywordWorkerTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    var broker: EmbeddedBroker!
    var worker: WorkerProcess?

    override func setUpWithError() throws { broker = try EmbeddedBroker() }

    override func tearDown() {
        worker?.kill9()
        broker?.stop()
    }

    var config: KafkaConfig { KafkaConfig(bootstrapServers: broker.bootstrapServers, clientID: "keyword-test") }

    func testTheWorkerAddsKeywordsAndDeadLettersWhatItCannotHandle() throws {
        let path = Self.packageRoot.appendingPathComponent("topics/keywords.yaml").path
        var catalog = StageCatalog.builtIn
        try catalog.register(KeywordStage.task) { _ in KeywordStage() }
        let workflow = try catalog.loadWorkflow(path: path)
        _ = try TopicApplier.apply(workflow.topics, admin: try KafkaAdmin(config: config))
        try produce([
            event("fruit", "pear apple fig apple pear kiwi date fig banana"),
            event("stream", "Kafka streams, Kafka topics: the Swift stage reads Kafka"),
            KafkaProducerMessage(topic: "posts", key: Array("broken".utf8), value: Array(#"{"text": "cut off"#.utf8)),
            event("stopwords", "to be or not to be"),
        ])

        worker = try WorkerProcess(arguments: [
            "--workflow", path, "--stage", "keywords", "--brokers", broker.bootstrapServers, "--no-registry",
        ])
        let outputs = try read("keywords", count: 2)
        let deadLetters = try read("dead-letters", count: 2)
        let status = worker?.terminate(timeout: 30)
        let log = worker?.output ?? ""

        var keywords: [String: [String]] = [:]
        for record in outputs {
            let event = try Envelope.decode(record.value, fallbackID: "", fallbackCreatedAt: 0)
            let terms = event.results["keywords"]?.arrayValue ?? []
            keywords[event.id] = terms.map { "\($0["term"]?.stringValue ?? "?")×\($0["count"]?.intValue ?? 0)" }
            XCTAssertEqual(event.hops.last?.stage, "keywords", "the worker adds the stage's hop")
        }
        XCTAssertEqual(
            keywords,
            [
                "fruit": ["apple×2", "fig×2", "pear×2", "banana×1", "date×1"],
                "stream": ["kafka×3", "reads×1", "stage×1", "streams×1", "swift×1"],
            ], log)

        var reasons: [String: String] = [:]
        for record in deadLetters {
            let reason = record.headers.last { $0.key == DeadLetterHeaders.reason }?.value
            reasons[String(decoding: record.key ?? [], as: UTF8.self)] = reason.map {
                String(decoding: $0, as: UTF8.self)
            }
        }
        XCTAssertEqual(reasons, ["broken": "invalid-json", "stopwords": KeywordStage.noKeywords], log)
        XCTAssertEqual(status, 0, "SIGTERM: the worker commits, leaves its group and exits 0\n\(log)")
    }

    private func event(_ id: String, _ text: String) -> KafkaProducerMessage {
        let value = Envelope(id: id, createdAt: EventClock.nowMicros(), text: text).encoded()
        return KafkaProducerMessage(topic: "posts", key: Array(id.utf8), value: value)
    }

    private func produce(_ messages: [KafkaProducerMessage]) throws {
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: config))
        defer { producer.close() }
        let reports = try producer.sendBatch(messages)
        XCTAssertTrue(reports.allSatisfy(\.isDelivered), "every input must be acknowledged")
    }

    /// `topic` from the start until `count` records or 60 s, whichever comes first.
    private func read(_ topic: String, count: Int) throws -> [KafkaRecord] {
        let consumer = try KafkaConsumer(
            config: KafkaConsumerConfig(common: config, groupID: "reader-\(UUID().uuidString)"))
        defer { consumer.close() }
        try consumer.subscribe(topics: [topic])
        var records: [KafkaRecord] = []
        let deadline = Date().addingTimeInterval(60)
        while records.count < count && Date() < deadline {
            records += try consumer.poll(maxRecords: 100, timeoutMs: 200)
        }
        return records
    }
}
