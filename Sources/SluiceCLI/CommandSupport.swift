import Foundation
import SluiceEvents
import SluiceKafka
import SluiceLifecycle

/// A command failure whose text says what went wrong and what to do; argument-parser
/// prints it as `Error: <description>` and exits 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension BrokerOptions {
    /// The client settings for the given brokers (or an error saying how to give them).
    func kafkaConfig(clientID: String) throws -> KafkaConfig {
        KafkaConfig(bootstrapServers: try required(), clientID: clientID, properties: try extraProperties())
    }
}

/// A stop request a loop reads: the lifecycle's latch (set on graceful shutdown, or by the caller).
typealias StopFlag = Latch

extension Latch {
    func set() { open() }
    var isSet: Bool { isOpen }
}

/// Writes to stderr without buffering.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// `--since` values: an ISO 8601 instant (2026-01-02T03:04:05Z) or a duration back from now (90s, 10m, 2h, 1d).
func parseSince(_ text: String, now: Date = Date()) -> Date? {
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
    if let unit = text.last, let seconds = units[unit], let amount = Double(text.dropLast()), amount >= 0 {
        return now.addingTimeInterval(-amount * seconds)
    }
    let formatter = ISO8601DateFormatter()
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text)
}

/// Epoch microseconds as ISO 8601 (UTC, milliseconds).
func isoString(micros: Int64) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: Date(timeIntervalSince1970: Double(micros) / 1e6))
}

extension KafkaRecord {
    /// The header with this key, as UTF-8 text; the last one when it repeats (`HeaderLookup`).
    func header(_ key: String) -> String? {
        HeaderLookup.text(key, in: headers, key: \.key, value: \.value)
    }
}

/// Reads the partitions of `topic` up to the high watermarks taken when it
/// starts, through a consumer of `group`, calling `body` with each batch.
/// `start` gives the first offset per partition the group will read (its
/// committed offset, or the low watermark); partitions already at the end are
/// not waited for. Stops early when `stop` is set, or when nothing arrives for
/// `idleSeconds` after the partitions were assigned: the last offsets below a
/// high watermark can be transaction markers (exactly-once stages write dead
/// letters in transactions), which are never delivered, so quiet means done.
func readToEnd(
    consumer: KafkaConsumer, admin: KafkaAdmin, topic: String, start: [Int32: Int64]? = nil,
    stop: StopFlag, idleSeconds: Double = 4, body: ([KafkaRecord]) throws -> Void
) throws {
    let partitions = try existingPartitions(admin: admin, topic: topic)
    var remaining: [Int32: Int64] = [:]  // partition -> high watermark still to reach
    for partition in partitions {
        let marks = try admin.watermarks(topic: topic, partition: partition)
        let from = max(start?[partition] ?? marks.low, marks.low)
        if from < marks.high { remaining[partition] = marks.high }
    }
    guard !remaining.isEmpty else { return }
    try consumer.subscribe(topics: [topic])
    var lastProgress = Date()
    var assigned = false
    var next: [Int32: Int64] = [:]
    while !remaining.isEmpty && !stop.isSet {
        let batch = try consumer.poll(maxRecords: 1_000, timeoutMs: 200)
        if !batch.isEmpty {
            lastProgress = Date()
            for record in batch {
                next[record.partition] = max(next[record.partition] ?? 0, record.offset + 1)
                if let high = remaining[record.partition], record.offset + 1 >= high {
                    remaining[record.partition] = nil
                }
            }
            try body(batch)
        } else if !assigned {
            // The idle clock starts at assignment: joining the group takes seconds on Tansu.
            if !(try consumer.assignment()).isEmpty {
                assigned = true
                lastProgress = Date()
            } else if Date().timeIntervalSince(lastProgress) > 60 {
                throw CLIError("no partitions of '\(topic)' were assigned within 60 s; is the broker healthy?")
            }
        } else if Date().timeIntervalSince(lastProgress) > idleSeconds {
            // One trailing offset is normally a commit marker; report wider gaps.
            for (partition, high) in remaining.sorted(by: { $0.key < $1.key }) {
                let reached = next[partition] ?? max(start?[partition] ?? 0, 0)
                if high - reached > 1 {
                    printError(
                        "note: stopped \(high - reached) offsets short of the end of \(topic)[\(partition)] "
                            + "(nothing came for \(Int(idleSeconds)) s): records of open or aborted "
                            + "transactions, or transaction markers")
                }
            }
            return
        }
    }
}

/// "1 partition", "4 partitions"
func partitionsText(_ count: Int) -> String { count == 1 ? "1 partition" : "\(count) partitions" }

/// The topic's partitions, or an error saying how to create it. Uses the
/// all-topics listing: a metadata request for one named topic makes brokers
/// that auto-create topics (Tansu does) create it with default settings.
func existingPartitions(admin: KafkaAdmin, topic: String) throws -> [Int32] {
    guard let found = try admin.listTopics().first(where: { $0.name == topic }), !found.partitions.isEmpty else {
        throw CLIError(
            "topic '\(topic)' does not exist: create it with `sluice topics apply WORKFLOW-FILE` "
                + "(see `sluice topics list`)")
    }
    return found.partitions
}
