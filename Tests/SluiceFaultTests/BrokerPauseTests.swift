import Foundation
import SluiceTesting
import XCTest

/// The broker process frozen (SIGSTOP) for 20 s mid-stream: every client sees silence,
/// not a closed connection, then the broker wakes up with all its state.
final class BrokerPauseTests: FaultTestCase {
    func testBrokerPausedTwentySecondsLosesNothing() throws {
        try pause(name: "broker-pause", delivery: "at-least-once", prefix: "bp")
    }

    /// The same in exactly-once mode: each batch's outputs and offsets commit in one
    /// transaction, so no output may come out twice.
    func testBrokerPausedTwentySecondsExactlyOnceHasNoDuplicates() throws {
        let (ledger, worker) = try pause(
            name: "broker-pause-exactly-once", delivery: "exactly-once", prefix: "bx", extra: ["--instance", "slot-0"],
            tansuOpenTransactionSkips: true)
        guard ledger.duplicates > 0 else { return }
        let aborts = worker.logLines(containing: "aborted")
        if !aborts.isEmpty {
            // Tansu 0.6 writes abort markers but sends no aborted-transaction list in fetch
            // responses, so read_committed readers still see an aborted batch (reproduced
            // alone in KafkaTransactionTests). Apache Kafka filters them.
            throw XCTSkip(
                "\(ledger.duplicates) duplicates after \(aborts.count) aborted transactions (first: \(aborts[0])): Tansu "
                    + "does not filter aborted records for read_committed readers; exactly-once is not verifiable here")
        }
        XCTFail(
            "\(ledger.duplicates) duplicates in exactly-once mode without any aborted transaction; \(worker.postMortem())"
        )
    }

    @discardableResult
    private func pause(
        name: String, delivery: String, prefix: String, extra: [String] = [], tansuOpenTransactionSkips: Bool = false
    ) throws
        -> (FaultLedger, WorkerProcess)
    {
        let broker = try startBroker()
        try createTopics(stages: 1, on: broker)
        let workflow = try workflowFile(stages: ["relay"], delivery: delivery)
        let worker = try startWorker(workflow: workflow, stage: "relay", brokers: broker.bootstrapServers, extra: extra)
        let watch = try watch("out", on: broker)
        let feed = try startFeed(broker: broker, prefix: prefix, count: 7_000, rate: 200)
        try waitUntil("the first outputs", timeout: 45) { watch.distinctCount >= 300 }
        let before = watch.distinctCount
        broker.pause()
        hold(20)
        broker.resume()
        let faultEnd = Date()
        let heldBack = feed.sentCount
        XCTAssertLessThan(before, feed.ids.count, "the pause landed mid-stream")
        XCTAssertLessThan(heldBack, feed.ids.count, "the stream went on after the pause")
        let ledger = try settle(
            name, feed: feed, watch: watch, broker: broker, faultEnd: faultEnd, heldBack: heldBack,
            extra: "outputs at pause \(before), worker \(Self.history(worker))",
            tansuOpenTransactionSkips: tansuOpenTransactionSkips)
        return (ledger, worker)
    }
}
