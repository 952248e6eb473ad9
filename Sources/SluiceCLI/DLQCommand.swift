import ArgumentParser
import Foundation
import Logging
import SluiceEvents
import SluiceJSON
import SluiceKafka
import SluiceLifecycle
import SluiceWorkflow

/// `sluice dlq list|replay`: inspect and replay a workflow's dead letters.
struct DLQCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Inspect and replay a workflow's dead-letter topic.",
        subcommands: [List.self, Replay.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count dead letters by reason and by stage.",
            discussion: """
                Reads the workflow's dead-letter topic from the beginning to its current end (as a \
                throwaway consumer group, committing nothing) and prints counts by reason and by \
                stage and the oldest and newest failure time.
                """)

        @Option(help: "The workflow file, e.g. topics/sentiment-monitoring.yaml.") var workflow: String
        @Flag(help: "Print one JSON object instead of text.") var json = false
        @OptionGroup var broker: BrokerOptions

        func run() throws {
            let flow = try Workflow.load(path: workflow)
            let config = try broker.kafkaConfig(clientID: "sluice-dlq")
            let admin = try KafkaAdmin(config: config)
            let consumer = try KafkaConsumer(
                config: KafkaConsumerConfig(
                    common: config, groupID: "sluice-dlq-list-\(UUID().uuidString.prefix(8).lowercased())"))
            defer { consumer.close() }
            let shutdown = ServiceRunner.alongside(logger: Logger(label: "sluice.dlq"))
            defer { shutdown.finish() }
            let stop = shutdown.stop

            var total = 0
            var byReason: [String: Int] = [:]
            var byStage: [String: Int] = [:]
            var oldest: Int64?
            var newest: Int64?
            try readToEnd(consumer: consumer, admin: admin, topic: flow.deadLetter, stop: stop) { batch in
                for record in batch {
                    total += 1
                    byReason[record.header(DeadLetterHeaders.reason) ?? "(none)", default: 0] += 1
                    byStage[record.header(DeadLetterHeaders.stage) ?? "(none)", default: 0] += 1
                    if let at = record.failedAtMicros {
                        oldest = Swift.min(oldest ?? at, at)
                        newest = Swift.max(newest ?? at, at)
                    }
                }
            }
            if json {
                let object: [String: JSONValue] = [
                    "topic": .string(flow.deadLetter),
                    "total": .int(Int64(total)),
                    "by_reason": .object(byReason.mapValues { .int(Int64($0)) }),
                    "by_stage": .object(byStage.mapValues { .int(Int64($0)) }),
                    "oldest": oldest.map { .string(isoString(micros: $0)) } ?? .null,
                    "newest": newest.map { .string(isoString(micros: $0)) } ?? .null,
                ]
                print(JSONValue.object(object).serialized())
                return
            }
            guard total > 0 else {
                print("\(flow.deadLetter): no dead letters")
                return
            }
            print("\(flow.deadLetter): \(total) dead letters")
            print("by reason:")
            for (reason, count) in byReason.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
                print("  \(reason): \(count)")
            }
            print("by stage:")
            for (stage, count) in byStage.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
                print("  \(stage): \(count)")
            }
            if let oldest, let newest {
                print("oldest: \(isoString(micros: oldest))")
                print("newest: \(isoString(micros: newest))")
            }
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send dead letters back to the topic they came from.",
            discussion: """
                Re-produces each dead letter (value and key unchanged) to its source topic (header \
                \(DeadLetterHeaders.sourceTopic)), keeping its other headers but dropping the \
                \(DeadLetterHeaders.prefix)* ones, with \(DeadLetterHeaders.attempts) raised by one. A record already replayed limits.max_replay_attempts \
                times is not replayed again ("gave up").
                Reads as the consumer group <workflow>.dlq-replay and commits after the replayed records \
                are acknowledged, so each dead letter is replayed once. Records passed over by --stage or \
                --since are committed too: this group will not see them again (read them with \
                `sluice consume --topic <dead-letter topic> --from-beginning --headers`).
                --dry-run only counts, and commits nothing.
                """)

        @Option(help: "The workflow file, e.g. topics/sentiment-monitoring.yaml.") var workflow: String
        @Option(help: "Only dead letters of this stage.") var stage: String?
        @Option(
            help: ArgumentHelp(
                "Only dead letters that failed since this time: ISO 8601 (2026-01-02T03:04:05Z) or a duration back "
                    + "from now (90s, 10m, 2h, 1d).", valueName: "time"))
        var since: String?
        @Flag(help: "Count what would be replayed; produce and commit nothing.") var dryRun = false
        @OptionGroup var broker: BrokerOptions

        func validate() throws {
            if let since, parseSince(since) == nil {
                throw ValidationError(
                    "--since '\(since)' must be ISO 8601 (2026-01-02T03:04:05Z) or a duration like 10m")
            }
        }

        func run() throws {
            let flow = try Workflow.load(path: workflow)
            if let stage, flow.stage(named: stage) == nil {
                throw CLIError(
                    "workflow '\(flow.name)' has no stage '\(stage)' "
                        + "(its stages: \(flow.stages.map(\.name).joined(separator: ", ")))")
            }
            let cutoffMicros = since.flatMap { parseSince($0) }.map { Int64($0.timeIntervalSince1970 * 1e6) }
            let limit = flow.limits.maxReplayAttempts
            let config = try broker.kafkaConfig(clientID: "sluice-dlq-replay")
            let admin = try KafkaAdmin(config: config)
            let group = "\(flow.name).dlq-replay"
            let consumer = try KafkaConsumer(
                config: KafkaConsumerConfig(common: config, groupID: group))
            defer { consumer.close() }
            let producer = dryRun ? nil : try KafkaProducer(config: KafkaProducerConfig(common: config))
            defer { producer?.close() }
            let shutdown = ServiceRunner.alongside(logger: Logger(label: "sluice.dlq"))
            defer { shutdown.finish() }
            let stop = shutdown.stop

            // Where the group resumes, so partitions it has already read to the end are not waited for.
            let partitions = try existingPartitions(admin: admin, topic: flow.deadLetter)
            var start: [Int32: Int64] = [:]
            for (key, offset) in try consumer.committed(
                partitions.map { KafkaTopicPartition(topic: flow.deadLetter, partition: $0) })
            {
                if let offset { start[key.partition] = offset }
            }

            var replayed: [String: Int] = [:]
            var filtered = 0
            var gaveUp = 0
            var noSource = 0
            var truncated = 0
            try readToEnd(consumer: consumer, admin: admin, topic: flow.deadLetter, start: start, stop: stop) { batch in
                var messages: [KafkaProducerMessage] = []
                for record in batch {
                    if let stage, record.header(DeadLetterHeaders.stage) != stage {
                        filtered += 1
                        continue
                    }
                    if let cutoffMicros, (record.failedAtMicros ?? 0) < cutoffMicros {
                        filtered += 1
                        continue
                    }
                    guard let source = record.header(DeadLetterHeaders.sourceTopic), !source.isEmpty else {
                        noSource += 1
                        continue
                    }
                    // Its value is only the first bytes of the input: replaying it would dead-letter it again.
                    if record.header(DeadLetterHeaders.reason) == DeadLetterReason.truncated {
                        truncated += 1
                        continue
                    }
                    let attempts = record.header(DeadLetterHeaders.attempts).flatMap { Int($0) } ?? 0
                    if attempts >= limit {
                        gaveUp += 1
                        continue
                    }
                    var headers = record.headers.filter {
                        !$0.key.hasPrefix(DeadLetterHeaders.prefix) && $0.key != DeadLetterHeaders.attempts
                    }
                    headers.append(KafkaHeader(key: DeadLetterHeaders.attempts, value: String(attempts + 1)))
                    messages.append(
                        KafkaProducerMessage(topic: source, key: record.key, value: record.value, headers: headers))
                    replayed[source, default: 0] += 1
                }
                guard let producer else { return }
                if !messages.isEmpty {
                    let reports = try producer.sendBatch(messages)
                    let failed = reports.filter { !$0.isDelivered }
                    if let first = failed.first?.error {
                        throw CLIError(
                            "\(failed.count) of \(messages.count) replayed records were not delivered "
                                + "(first error: \(first)); nothing of this batch was committed, so running the "
                                + "replay again retries them (the delivered ones may then arrive twice)")
                    }
                }
                var next: [Int32: Int64] = [:]
                for record in batch {
                    next[record.partition] = Swift.max(next[record.partition] ?? 0, record.offset + 1)
                }
                try consumer.commit(
                    offsets: next.map {
                        KafkaTopicPartitionOffset(topic: flow.deadLetter, partition: $0.key, offset: $0.value)
                    })
            }

            let total = replayed.values.reduce(0, +)
            let verb = dryRun ? "would replay" : "replayed"
            if replayed.isEmpty {
                print("\(verb) 0 dead letters from \(flow.deadLetter)")
            } else {
                let perTopic = replayed.keys.sorted().map { "\($0): \(replayed[$0]!)" }.joined(separator: ", ")
                print("\(verb) \(total) dead letters from \(flow.deadLetter) (\(perTopic))")
            }
            print("skipped by filter: \(filtered)")
            print("gave up on \(gaveUp) (already replayed \(limit) times, limits.max_replay_attempts)")
            if truncated > 0 {
                print(
                    "\(truncated) were truncated (over message.max.bytes; \(DeadLetterHeaders.originalSHA256) names the whole) and were not replayed"
                )
            }
            if noSource > 0 {
                print("\(noSource) had no \(DeadLetterHeaders.sourceTopic) header and were not replayed")
            }
            if stop.isSet { printError("stopped early by signal; run it again to continue") }
        }
    }
}

extension KafkaRecord {
    /// The dead letter's `DeadLetterHeaders.failedAt` (epoch µs), else the record's timestamp.
    var failedAtMicros: Int64? {
        if let text = header(DeadLetterHeaders.failedAt), let micros = Int64(text) { return micros }
        return timestampMs.map { $0 * 1_000 }
    }
}
