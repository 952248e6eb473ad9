import Foundation
import SluiceTesting
import XCTest

/// A worker SIGKILLed while two batches wait for their acknowledgements must lose nothing:
/// neither batch was committed, so the next worker reads both again (duplicates, which
/// at-least-once allows), and nothing behind them was committed either.
final class InFlightKillTests: FaultTestCase {
    func testWorkerKilledWithTwoBatchesInFlightLosesNothing() throws {
        let broker = try startBroker()
        try createTopics(stages: 1, on: broker)
        let workflow = try workflowFile(stages: ["relay"])
        let watch = try watch("out", on: broker)
        // A 3 s producer linger holds every batch's outputs unacknowledged that long, so the
        // worker polls and runs the next batch meanwhile and then waits with two in flight.
        let doomed = try startWorker(
            workflow: workflow, stage: "relay", brokers: broker.bootstrapServers,
            extra: ["--batches-in-flight", "2", "-X", "linger.ms=3000"])
        let metrics = try metricsURL(of: doomed)
        let feed = try startFeed(broker: broker, prefix: "ik", count: 6_000, rate: 500)
        try waitUntil("the first outputs", timeout: 45) { watch.distinctCount >= 50 }
        var inFlight: Double?
        do {
            try waitUntil("two batches in flight", timeout: 20, interval: 0.01) {
                inFlight = Self.gauge("sluice_worker_batches_in_flight", at: metrics)
                return inFlight == 2
            }
        } catch {
            XCTFail("batches in flight: \(inFlight.map { "\($0)" } ?? "no gauge"); \(doomed.postMortem())")
            throw error
        }
        doomed.kill()
        let faultEnd = Date()
        let killedAt = watch.distinctCount
        let heldBack = feed.sentCount
        XCTAssertLessThan(killedAt, feed.ids.count, "the kill landed mid-stream")
        let successor = try startWorker(workflow: workflow, stage: "relay", brokers: broker.bootstrapServers)
        // settle asserts the accounting: every id out, lost 0; duplicates are counted.
        try settle(
            "kill-with-2-in-flight", feed: feed, watch: watch, broker: broker, faultEnd: faultEnd,
            heldBack: heldBack, extra: "outputs at the kill \(killedAt), successor \(Self.history(successor))")
    }

    /// The address the worker logged for its /metrics (it takes a free port).
    private func metricsURL(of worker: WorkerProcess) throws -> URL {
        var url: URL?
        try waitUntil("the worker's metrics address", timeout: 20) {
            let line = worker.logLines(containing: "serving Prometheus metrics at ").first
            url = line.flatMap { $0.components(separatedBy: "serving Prometheus metrics at ").last }
                .flatMap { URL(string: $0.trimmingCharacters(in: .whitespaces)) }
            return url != nil
        }
        return url!
    }

    /// One gauge's value from a Prometheus text page; nil when unreachable or absent.
    static func gauge(_ name: String, at url: URL) -> Double? {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        let line = text.split(separator: "\n").first { $0.hasPrefix("\(name){") || $0.hasPrefix("\(name) ") }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }
}
