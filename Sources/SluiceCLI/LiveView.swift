import Foundation
import SluiceEvents
import SluiceJSON
import SluiceKafka
import SluiceLifecycle

/// Reads the workflow's output and dead-letter topics and keeps what the demo
/// screen shows: rates, end-to-end latency, the last scored posts.
final class LiveView: BlockingRunnable, @unchecked Sendable {
    struct Post {
        let text: String
        let label: String
        let score: Double
        let latencyMs: Double
    }

    private let consumer: KafkaConsumer
    private let output: String
    private let lock = NSLock()
    private var outCount = 0
    private var deadCount = 0
    private var recent: [Post] = []
    private var latencies: [Double] = []
    private let stopped = Latch()

    /// The latest closed trend window per label ("all" for the overall one) and recent alert lines.
    private var trends: [String: JSONValue] = [:]
    private var alerts: [String] = []
    private let trendsTopic: String?
    private let alertsTopic: String?

    init(
        brokers: String, properties: [String: String], output: String, deadLetter: String,
        trendsTopic: String? = nil, alertsTopic: String? = nil
    ) throws {
        consumer = try KafkaConsumer(
            config: KafkaConsumerConfig(
                common: KafkaConfig(bootstrapServers: brokers, clientID: "sluice-up-view", properties: properties),
                groupID: "sluice-up-view-\(ProcessInfo.processInfo.processIdentifier)", autoOffsetReset: .latest))
        try consumer.subscribe(topics: [output, deadLetter] + [trendsTopic, alertsTopic].compactMap { $0 })
        self.output = output
        self.trendsTopic = trendsTopic
        self.alertsTopic = alertsTopic
    }

    /// Reads until `stop()`; `sluice up` runs it as a `BlockingService`.
    func run() {
        while !stopped.isOpen {
            guard let records = try? consumer.poll(maxRecords: 500, timeoutMs: 200) else { continue }
            for record in records { take(record) }
        }
        consumer.close()
    }

    private func take(_ record: KafkaRecord) {
        lock.lock()
        defer { lock.unlock() }
        if record.topic == trendsTopic || record.topic == alertsTopic {
            guard let json = try? JSONValue.parse(record.value) else { return }
            if record.topic == trendsTopic {
                trends[json["label"]?.stringValue ?? "all"] = json
            } else {
                let subject = json["subject"]?.stringValue.map { " (\($0))" } ?? ""
                alerts.append("\(json["rule"]?.stringValue ?? "?")\(subject): \(json["state"]?.stringValue ?? "?")")
                if alerts.count > 4 { alerts.removeFirst() }
            }
            return
        }
        guard record.topic == output else {
            deadCount += 1
            return
        }
        outCount += 1
        guard let event = try? Envelope.decode(record.value, fallbackID: "", fallbackCreatedAt: 0),
            let last = event.hops.last
        else { return }
        let latency = Double(max(0, last.producedAt - event.createdAt)) / 1_000
        latencies.append(latency)
        if latencies.count > 2_000 { latencies.removeFirst(latencies.count - 2_000) }
        recent.append(
            Post(
                text: event.text, label: event.results["label"]?["name"]?.stringValue ?? "-",
                score: event.results["sentiment"]?["score"]?.doubleValue ?? 0, latencyMs: latency))
        if recent.count > 6 { recent.removeFirst() }
    }

    func stop() { stopped.open() }

    struct Figures {
        var out: Int
        var dead: Int
        var p50: Double?
        var p99: Double?
        var recent: [Post]
        var trends: [String: JSONValue]
        var alerts: [String]
    }

    var figures: Figures {
        lock.lock()
        defer { lock.unlock() }
        let sorted = latencies.sorted()
        func quantile(_ q: Double) -> Double? {
            sorted.isEmpty ? nil : sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
        }
        return Figures(
            out: outCount, dead: deadCount, p50: quantile(0.5), p99: quantile(0.99), recent: recent, trends: trends,
            alerts: alerts)
    }
}
