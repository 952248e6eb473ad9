import Foundation
import SluiceKafka
import SluiceTesting
import XCTest

/// One of two workers frozen past its session timeout: the group hands its partitions
/// to the other; when it thaws, whatever it still had in hand (a batch, a commit) is
/// stale. Its late produces may duplicate, but nothing may be lost and no committed
/// offset may run ahead of the outputs in the output topic.
final class ZombieWorkerTests: FaultTestCase {
    let group = "faults.relay"

    func testFrozenWorkerThawedAfterItsPartitionsMovedLosesNothing() throws {
        let broker = try startBroker()
        try createTopics(stages: 1, on: broker)
        let workflow = try workflowFile(stages: ["relay"])
        let zombie = try startWorker(workflow: workflow, stage: "relay", brokers: broker.bootstrapServers)
        let survivor = try startWorker(workflow: workflow, stage: "relay", brokers: broker.bootstrapServers)
        let watch = try watch("out", on: broker)
        let feed = try startFeed(broker: broker, prefix: "zw", count: 8_000, rate: 200)
        try waitUntil("both workers to hold partitions", timeout: 45) {
            Self.assigned(zombie).count > 0 && Self.assigned(survivor).count > 0
                && Self.assigned(zombie).count + Self.assigned(survivor).count == Self.partitions
        }
        try waitUntil("outputs", timeout: 30) { watch.distinctCount >= 300 }
        let zombiePartitions = Self.assigned(zombie)
        let before = watch.distinctCount

        zombie.pause()
        let frozenAt = Date()
        let sentAtFreeze = feed.sentCount
        let frozenFor = 2.5 * Double(Self.sessionTimeoutMs) / 1_000
        hold(2)
        let zombieIDsAtFreeze = seenOnPartitions(zombiePartitions, feed: feed, watch: watch)
        hold(frozenFor - 2)
        let zombieIDsAtThaw = seenOnPartitions(zombiePartitions, feed: feed, watch: watch)
        zombie.resume()
        let faultEnd = Date()
        let heldBack = feed.sentCount
        // Takeover: from the freeze to the first output of an input on the frozen worker's
        // partitions sent after the freeze began, which only the survivor can have made.
        let placements = feed.placements
        let takeover = feed.ids[sentAtFreeze..<heldBack]
            .filter { placements[$0].map { zombiePartitions.contains($0.partition) } ?? false }
            .compactMap { watch.firstSeen($0) }.min()?.timeIntervalSince(frozenAt)
        XCTAssertLessThan(before, feed.ids.count, "the freeze landed mid-stream")
        XCTAssertLessThan(heldBack, feed.ids.count, "the stream went on after the thaw")
        XCTAssertGreaterThan(
            zombieIDsAtThaw, zombieIDsAtFreeze,
            "the survivor took over the frozen worker's partitions \(zombiePartitions) while it was frozen")

        // While the thawed worker rejoins (and may push its stale batch and commit): every
        // committed offset must already have its outputs in the topic.
        var checks = 0
        for _ in 0..<4 {
            hold(1.5)
            try checkCommitsBehindOutputs(feed: feed, watch: watch, broker: broker)
            checks += 1
        }
        try settle(
            "zombie-worker", feed: feed, watch: watch, broker: broker, faultEnd: faultEnd, heldBack: heldBack,
            extra: "takeover \(takeover.map { String(format: "%.1f s", $0) } ?? "none"), "
                + "zombie commits refused \(zombie.logLines(containing: "commit of").count), "
                + "zombie \(Self.history(zombie)), survivor \(Self.history(survivor))")
        // Drained: the group committed exactly the end of every input partition, never past it.
        try waitUntil("the group to commit everything", timeout: 20) {
            try committed(broker: broker).values.reduce(0, +) == Int64(feed.ids.count)
        }
        let ends = inputEnds(feed)
        for (partition, offset) in try committed(broker: broker) {
            XCTAssertLessThanOrEqual(
                offset, ends[partition] ?? 0, "committed offset past the inputs of in[\(partition)]")
        }
        XCTAssertEqual(checks, 4)
    }

    /// Committed offsets now; then, within a grace for the watch to catch up, every input
    /// below each of them must have come out.
    private func checkCommitsBehindOutputs(feed: EventFeed, watch: OutputWatch, broker: FaultBroker) throws {
        let commits = try committed(broker: broker)
        let ends = inputEnds(feed)
        let placements = feed.placements
        let required = placements.filter { id, place in place.offset < (commits[place.partition] ?? 0) }.map(\.key)
        for (partition, offset) in commits {
            XCTAssertLessThanOrEqual(
                offset, ends[partition] ?? 0, "committed offset past the acknowledged inputs of in[\(partition)]")
        }
        let deadline = Date().addingTimeInterval(5)
        var missing = required.filter { !watch.seen($0) }
        while !missing.isEmpty && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
            missing = missing.filter { !watch.seen($0) }
        }
        XCTAssertEqual(
            missing.count, 0, "committed past inputs whose outputs never appeared: \(missing.prefix(10)) at \(commits)")
    }

    private func committed(broker: FaultBroker) throws -> [Int32: Int64] {
        let admin = try KafkaAdmin(
            config: KafkaConfig(bootstrapServers: broker.bootstrapServers, clientID: "fault-admin"))
        return try admin.committedOffsets(group: group, topic: "in").compactMapValues { $0 }
    }

    /// Next offset after the last acknowledged input on each partition.
    private func inputEnds(_ feed: EventFeed) -> [Int32: Int64] {
        var ends: [Int32: Int64] = [:]
        for place in feed.placements.values {
            ends[place.partition] = max(ends[place.partition] ?? 0, place.offset + 1)
        }
        return ends
    }

    private func seenOnPartitions(_ partitions: Set<Int32>, feed: EventFeed, watch: OutputWatch) -> Int {
        let seen = watch.seenIDs
        return feed.placements.filter { partitions.contains($0.value.partition) && seen.contains($0.key) }.count
    }

    /// The partitions of `in` a worker holds, replaying its "rebalance:" log lines: the
    /// assignment is incremental (cooperative), so each line adds or removes partitions.
    static func assigned(_ worker: WorkerProcess) -> Set<Int32> {
        var held = Set<Int32>()
        for line in worker.logLines(containing: "rebalance: ") {
            var partitions = Set<Int32>()
            var rest = Substring(line)
            while let open = rest.range(of: "in[") {
                if let partition = Int32(rest[open.upperBound...].prefix { $0.isNumber }) {
                    partitions.insert(partition)
                }
                rest = rest[open.upperBound...]
            }
            if line.contains("assigned(") { held.formUnion(partitions) } else { held.subtract(partitions) }
        }
        return held
    }
}
