import ArgumentParser
import Foundation
import Logging
import SluiceJSON
import SluiceKafka
import SluiceLifecycle

/// `sluice consume`: a topic's records as JSON lines on stdout.
struct ConsumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Print a topic's records as JSON lines.",
        discussion: """
            A value that is JSON is printed as is; any other value as a JSON string. With --headers \
            each line is an object {topic, partition, offset, key, headers, value}.
            Without --group, reads as a throwaway consumer group and commits nothing. With --group, \
            resumes from that group's committed offsets and commits what it printed.
            Stops after --max records, or when no record came for --timeout-ms (counted from when the \
            partitions were assigned); with neither, runs until Ctrl-C.
            """)

    @Option(help: "The topic to read.") var topic: String
    @Flag(help: "Start at the oldest record (else only new records, or the group's committed offset).")
    var fromBeginning = false
    @Option(help: "Stop after this many records.") var max: Int?
    @Option(help: "Consumer group whose offsets to resume from and commit.") var group: String?
    @Option(help: "Stop when no record came for this long (ms).") var timeoutMs: Int?
    @Flag(help: "Print topic, partition, offset, key and headers around each value.") var headers = false
    @OptionGroup var broker: BrokerOptions

    func validate() throws {
        if let max, max < 1 { throw ValidationError("--max must be at least 1") }
        if let timeoutMs, timeoutMs < 1 { throw ValidationError("--timeout-ms must be at least 1") }
    }

    func run() throws {
        let config = try broker.kafkaConfig(clientID: "sluice-consume")
        let groupID = group ?? "sluice-consume-\(UUID().uuidString.prefix(8).lowercased())"
        let consumer = try KafkaConsumer(
            config: KafkaConsumerConfig(
                common: config, groupID: groupID, autoOffsetReset: fromBeginning ? .earliest : .latest))
        defer { consumer.close() }
        let admin = try KafkaAdmin(config: config)
        _ = try existingPartitions(admin: admin, topic: topic)
        let shutdown = ServiceRunner.alongside(logger: Logger(label: "sluice.consume"))
        defer { shutdown.finish() }
        let stop = shutdown.stop

        try consumer.subscribe(topics: [topic])
        var printed = 0
        var lastRecord: Date?
        while !stop.isSet {
            let want = max.map { $0 - printed } ?? 500
            if want <= 0 { break }
            let batch = try consumer.poll(maxRecords: Swift.min(want, 500), timeoutMs: 200)
            if batch.isEmpty {
                guard let timeoutMs else { continue }
                if lastRecord == nil, !(try consumer.assignment()).isEmpty { lastRecord = Date() }
                if let lastRecord, Date().timeIntervalSince(lastRecord) * 1000 >= Double(timeoutMs) { break }
                continue
            }
            lastRecord = Date()
            var out = ""
            var next: [KafkaTopicPartition: Int64] = [:]
            for record in batch {
                out += line(for: record) + "\n"
                next[KafkaTopicPartition(topic: record.topic, partition: record.partition)] = record.offset + 1
            }
            FileHandle.standardOutput.write(Data(out.utf8))
            printed += batch.count
            if group != nil {
                try consumer.commit(
                    offsets: next.map {
                        KafkaTopicPartitionOffset(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value)
                    })
            }
        }
        printError("consumed \(printed) records from \(topic)" + (group.map { " (committed for group \($0))" } ?? ""))
    }

    private func line(for record: KafkaRecord) -> String {
        let parsed = try? JSONValue.parse(record.value)
        guard headers else {
            if let parsed {
                // As is, unless it spans lines (then compacted to keep one record per line).
                return record.value.contains(0x0A) ? parsed.serialized() : String(decoding: record.value, as: UTF8.self)
            }
            return JSONValue.string(String(decoding: record.value, as: UTF8.self)).serialized()
        }
        var headerFields: [String: JSONValue] = [:]
        for header in record.headers {
            headerFields[header.key] = header.value.map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null
        }
        let object: [String: JSONValue] = [
            "topic": .string(record.topic),
            "partition": .int(Int64(record.partition)),
            "offset": .int(record.offset),
            "key": record.key.map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null,
            "headers": .object(headerFields),
            "value": parsed ?? .string(String(decoding: record.value, as: UTF8.self)),
        ]
        return JSONValue.object(object).serialized()
    }
}
