import Foundation
import SluiceEvents
import SluiceGateway
import SluiceJSON
import SluiceKafka
import XCTest

/// What the gateway tells whom: open routes say only what a load balancer needs, and no
/// answer carries error text from inside (broker addresses, library messages).
final class GatewayDisclosureTests: GatewayTestCase {
    func testReadinessIsABooleanToAnyoneAndReasonCodesToTokenHolders() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow) {
            $0.tokens = ["reader-token-0123456789abcdef": .read]
            $0.registry = nil
        }
        let open = try http(gateway, "GET", "/readyz")
        XCTAssertEqual(open.status, 200, open.body)
        XCTAssertEqual(open.json, .object(["ready": .bool(true)]), "nothing but the answer: \(open.body)")
        let detailed = try http(gateway, "GET", "/readyz", token: "reader-token-0123456789abcdef")
        XCTAssertEqual(detailed.json?["checks"]?["broker"]?.stringValue, "ok", detailed.body)
        XCTAssertEqual(try http(gateway, "GET", "/readyz", token: "wrong").json?["checks"], nil)

        broker.stop()
        Thread.sleep(forTimeInterval: 1.1)
        let down = try http(gateway, "GET", "/readyz", timeout: 30)
        XCTAssertEqual(down.status, 503, down.body)
        XCTAssertEqual(down.json, .object(["ready": .bool(false)]), down.body)
        Thread.sleep(forTimeInterval: 1.1)
        let downDetailed = try http(gateway, "GET", "/readyz", token: "reader-token-0123456789abcdef", timeout: 30)
        XCTAssertEqual(downDetailed.status, 503)
        XCTAssertEqual(downDetailed.json?["checks"]?["broker"]?.stringValue, "unreachable", downDetailed.body)
        for leak in ["127.0.0.1", "Local:", "librdkafka", "posts", "done"] {
            XCTAssertFalse(downDetailed.body.contains(leak), "'\(leak)' in \(downDetailed.body)")
        }
    }

    func testAStageErrorsTextStaysOnTheDeadLetterTopic() throws {
        let workflow = try relayWorkflow()
        let gateway = try startGateway(workflow)
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: config))
        defer { producer.close() }
        func deadLetter(_ id: String, reason: String, detail: String) -> KafkaProducerMessage {
            KafkaProducerMessage(
                topic: "dlq", key: Array(id.utf8), value: Array(#"{"id": "\#(id)", "text": "t"}"#.utf8),
                headers: [
                    KafkaHeader(key: DeadLetterHeaders.reason, value: Array(reason.utf8)),
                    KafkaHeader(key: DeadLetterHeaders.detail, value: Array(detail.utf8)),
                    KafkaHeader(key: DeadLetterHeaders.stage, value: Array("pass".utf8)),
                ])
        }
        let internalText = "embedding failed: cannot open /srv/models/x.bin on 10.0.0.7"
        let reports = try producer.sendBatch([
            deadLetter("se-1", reason: DeadLetterReason.stageError, detail: internalText),
            deadLetter("ij-1", reason: "invalid-json", detail: "not JSON at byte 3: fix the producer"),
        ])
        XCTAssertTrue(reports.allSatisfy(\.isDelivered))
        let stageError = try waitForResult(gateway, id: "se-1")
        XCTAssertEqual(stageError.json?["reason"]?.stringValue, "stage-error", stageError.body)
        XCTAssertFalse(stageError.body.contains("10.0.0.7"), stageError.body)
        XCTAssertFalse(stageError.body.contains("/srv/models"), stageError.body)
        XCTAssertTrue(stageError.json?["detail"]?.stringValue?.contains("sluice dlq") == true, stageError.body)
        let invalid = try waitForResult(gateway, id: "ij-1")
        XCTAssertEqual(
            invalid.json?["detail"]?.stringValue, "not JSON at byte 3: fix the producer",
            "a detail about the event itself is the sender's to read")
    }
}
