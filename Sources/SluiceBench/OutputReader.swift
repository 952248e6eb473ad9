import Foundation
import SluiceEvents
import SluiceKafka
import SluicePipeline

/// Reads a workflow's output topic (read_committed, from the start) in its own group.
final class OutputReader {
    let consumer: KafkaConsumer
    private var assigned = false
    private var pending: [KafkaRecord] = []

    init(config: KafkaConfig, topic: String) throws {
        consumer = try KafkaConsumer(
            config: KafkaConsumerConfig(common: config, groupID: "bench-reader-\(UUID().uuidString)"))
        try consumer.subscribe(topics: [topic])
    }

    /// Polls (keeping whatever arrives) until the group gives this reader partitions.
    func waitForAssignment(timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !assigned {
            pending += try consumer.poll(maxRecords: 1_000, timeoutMs: 100)
            assigned = !(try consumer.assignment()).isEmpty
            guard assigned || Date() < deadline else {
                throw PipelineError("the output reader got no partitions within \(Int(timeout)) s")
            }
        }
    }

    /// Reads until `count` distinct events are in hand or the timeout; decodes after
    /// the raw count is reached, so the reader takes little CPU from the workers meanwhile.
    func read(count: Int, timeout: TimeInterval, progress: (Int) -> Void) throws -> (
        envelopes: [String: Envelope], duplicates: Int
    ) {
        var records = pending
        pending = []
        var envelopes: [String: Envelope] = [:]
        var duplicates = 0
        var decoded = 0
        let deadline = Date().addingTimeInterval(timeout)
        var lastReport = Date()
        while Date() < deadline {
            records += try consumer.poll(maxRecords: 1_000, timeoutMs: 100)
            if Date().timeIntervalSince(lastReport) >= 2 {
                progress(records.count)
                lastReport = Date()
            }
            if records.count >= count {
                for record in records[decoded...] {
                    guard let event = try? Envelope.decode(record.value, fallbackID: "", fallbackCreatedAt: 0) else {
                        continue
                    }
                    if envelopes.updateValue(event, forKey: event.id) != nil { duplicates += 1 }
                }
                decoded = records.count
                if envelopes.count >= count { break }
            }
        }
        if decoded < records.count {
            for record in records[decoded...] {
                guard let event = try? Envelope.decode(record.value, fallbackID: "", fallbackCreatedAt: 0) else {
                    continue
                }
                if envelopes.updateValue(event, forKey: event.id) != nil { duplicates += 1 }
            }
        }
        return (envelopes, duplicates)
    }

    func close() { consumer.close() }
}
