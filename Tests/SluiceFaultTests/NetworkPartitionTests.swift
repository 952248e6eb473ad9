import Foundation
import SluiceTesting
import XCTest

/// The broker and a worker on two "hosts" (network namespaces); the link between them is
/// cut or degraded mid-stream while the test, in the root namespace, keeps feeding inputs.
final class NetworkPartitionTests: FaultTestCase {
    /// Shorter than the session timeout: the worker keeps its partitions and resumes.
    func testShortPartitionLosesNothing() throws {
        try partition(name: "partition-5s", index: 1, seconds: 5, count: 3_000, rate: 150)
    }

    /// Twice the session timeout: the broker expels the worker, which must rejoin and
    /// re-read from its last commit (duplicates allowed, nothing lost).
    func testPartitionPastSessionTimeoutLosesNothing() throws {
        let seconds = 2 * Double(Self.sessionTimeoutMs) / 1_000
        try partition(name: "partition-\(Int(seconds))s", index: 2, seconds: seconds, count: 4_500, rate: 150)
    }

    /// 200 ms delay and 10 % loss each way for 30 s.
    func testDegradedLinkLosesNothing() throws {
        let lab = try NetworkLab(index: 3)
        labs.append(lab)
        try degradedLink(
            "degraded-link", lab: lab, prefix: "dg", apply: { try lab.degrade(delayMs: 200, lossPercent: 10) },
            clear: { try lab.clearDegradation() })
    }

    /// 10 % of packets lost each way for 30 s without netem (iptables): TCP retransmits,
    /// requests time out and are retried; nothing may be lost.
    func testLossyLinkLosesNothing() throws {
        let lab = try NetworkLab(index: 4)
        labs.append(lab)
        try degradedLink(
            "lossy-link", lab: lab, prefix: "ls", apply: { try lab.dropPackets(percent: 10) },
            clear: { try lab.clearPacketDrops() })
    }

    private func degradedLink(
        _ name: String, lab: NetworkLab, prefix: String, apply: () throws -> Void, clear: () throws -> Void
    ) throws {
        // Skip at once, before anything starts, when the machine cannot emulate the link.
        try apply()
        try clear()
        let (feed, watch, broker, _) = try startPipeline(in: lab, prefix: prefix, count: 6_000, rate: 150)
        let before = watch.distinctCount
        try apply()
        hold(30)
        let atFaultEnd = watch.distinctCount
        try clear()
        let faultEnd = Date()
        let heldBack = feed.sentCount
        XCTAssertLessThan(before, feed.ids.count, "the fault landed mid-stream")
        XCTAssertLessThan(heldBack, feed.ids.count, "the stream went on after the fault")
        try settle(
            name, feed: feed, watch: watch, broker: broker, faultEnd: faultEnd, heldBack: heldBack,
            extra: "outputs \(before) at fault start, \(atFaultEnd) at its end")
    }

    private func partition(name: String, index: Int, seconds: TimeInterval, count: Int, rate: Double) throws {
        let lab = try NetworkLab(index: index)
        labs.append(lab)
        let (feed, watch, broker, worker) = try startPipeline(in: lab, prefix: "np\(index)", count: count, rate: rate)
        let before = watch.distinctCount
        try lab.cut()
        // Outputs produced before the cut may still be read in the first moments after it.
        hold(1.5)
        let settledDuringCut = watch.distinctCount
        hold(seconds - 1.5)
        let atCutEnd = watch.distinctCount
        try lab.restore()
        let faultEnd = Date()
        let heldBack = feed.sentCount
        XCTAssertLessThan(before, count, "the cut landed mid-stream")
        XCTAssertLessThan(heldBack, count, "the stream went on after the cut")
        XCTAssertEqual(atCutEnd, settledDuringCut, "no output passed while the worker was cut off: the cut was real")
        try settle(
            name, feed: feed, watch: watch, broker: broker, faultEnd: faultEnd, heldBack: heldBack,
            extra: "outputs at cut \(before), worker \(Self.history(worker))")
    }

    /// Tansu in the broker namespace, one worker in the worker namespace, the feed and the
    /// watch in the root namespace; returns once outputs flow.
    private func startPipeline(in lab: NetworkLab, prefix: String, count: Int, rate: Double) throws
        -> (EventFeed, OutputWatch, FaultBroker, WorkerProcess)
    {
        let broker = try startBroker(
            host: lab.brokerAddress, port: 9092, listen: "0.0.0.0", namespace: lab.brokerNamespace)
        try createTopics(stages: 1, on: broker)
        let workflow = try workflowFile(stages: ["relay"])
        let worker = try startWorker(
            workflow: workflow, stage: "relay", brokers: broker.bootstrapServers, namespace: lab.workerNamespace)
        let watch = try watch("out", on: broker)
        let feed = try startFeed(broker: broker, prefix: prefix, count: count, rate: rate)
        try waitUntil("the first outputs", timeout: 45) { watch.distinctCount >= 200 }
        return (feed, watch, broker, worker)
    }
}
