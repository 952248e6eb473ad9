import Foundation
import SluiceTesting
import XCTest

/// The second stage of a two-stage workflow frozen for 30 s while the first keeps going:
/// the backlog must wait in Kafka (the first stage is not held up, the frozen worker does
/// not balloon when it thaws into that backlog), and nothing is lost.
final class DownstreamStopTests: FaultTestCase {
    /// librdkafka's pre-fetch queue defaults to 64 MiB (`queued.max.messages.kbytes`) and a
    /// worker holds one batch: growth beyond that would mean the backlog is pulled into memory.
    static let memoryGrowthBoundKiB = 64 * 1_024

    func testFrozenSecondStageHoldsBackPressureAndLosesNothing() throws {
        let broker = try startBroker()
        try createTopics(stages: 2, on: broker)
        let workflow = try workflowFile(stages: ["first", "second"])
        _ = try startWorker(workflow: workflow, stage: "first", brokers: broker.bootstrapServers)
        let second = try startWorker(workflow: workflow, stage: "second", brokers: broker.bootstrapServers)
        let middle = try watch("mid1", on: broker)
        let watch = try watch("out", on: broker)
        let rate = 200.0
        let feed = try startFeed(broker: broker, prefix: "ds", count: 9_000, rate: rate)
        try waitUntil("the first end-to-end outputs", timeout: 45) { watch.distinctCount >= 300 }
        let rssBefore = try XCTUnwrap(Self.residentKiB(second.pid))
        let before = watch.distinctCount

        second.pause()
        hold(1)
        let (middleAtFreeze, outAtFreeze) = (middle.distinctCount, watch.distinctCount)
        hold(29)
        let (middleAtThaw, outAtThaw) = (middle.distinctCount, watch.distinctCount)
        let rssFrozen = try XCTUnwrap(Self.residentKiB(second.pid))
        second.resume()
        let faultEnd = Date()
        let heldBack = feed.sentCount
        XCTAssertLessThan(before, feed.ids.count, "the freeze landed mid-stream")
        XCTAssertLessThan(heldBack, feed.ids.count, "the stream went on after the thaw")
        XCTAssertEqual(outAtThaw, outAtFreeze, "nothing passed the frozen stage")
        XCTAssertGreaterThan(
            Double(middleAtThaw - middleAtFreeze), 0.5 * 29 * rate,
            "the first stage kept going while the second was frozen")

        // Sample the thawed worker's memory while it works through the backlog.
        var rssPeak = rssFrozen
        try waitUntil("the backlog to drain", timeout: 60) {
            if let rss = Self.residentKiB(second.pid) { rssPeak = max(rssPeak, rss) }
            return watch.distinctCount >= heldBack
        }
        let rssAfter = try XCTUnwrap(Self.residentKiB(second.pid))
        XCTAssertLessThan(
            rssPeak - rssBefore, Self.memoryGrowthBoundKiB,
            "the thawed worker's memory stays bounded while it drains a \(middleAtThaw - outAtThaw)-event backlog")
        try settle(
            "downstream-stopped", feed: feed, watch: watch, broker: broker, faultEnd: faultEnd, heldBack: heldBack,
            extra: "backlog \(middleAtThaw - outAtThaw), second-stage VmRSS before \(rssBefore / 1_024) MiB, "
                + "peak \(rssPeak / 1_024) MiB, after \(rssAfter / 1_024) MiB")
    }
}
