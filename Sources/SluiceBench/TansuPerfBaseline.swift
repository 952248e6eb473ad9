import Foundation
import SluiceBroker
import SluiceKafka

/// A side-by-side baseline for `sluice bench kafka`: Tansu's own load
/// generator (`tansu perf TOPIC produce`) against the same kind of broker.
///
/// `tansu perf` runs for a duration, not a record count, and prints no rate,
/// so this runs it for `seconds` and counts what landed from the partition's
/// high watermark. On Tansu that watermark can trail the end by up to one
/// batch (docs/tansu-and-librdkafka.md), so the figure is a slight underestimate.
public enum TansuPerfBaseline {
    public struct Result: Sendable, CustomStringConvertible {
        public var records: Int64
        public var seconds: Double
        public var recordSize: Int
        public var batchSize: Int
        public var recordsPerSecond: Double { Double(records) / max(seconds, 1e-9) }
        public var description: String {
            "tansu perf: \(records) records x \(recordSize) B (batches of \(batchSize)) in "
                + "\(String(format: "%.1f", seconds)) s: produce \(Int(recordsPerSecond.rounded())) records/s"
        }
    }

    /// Starts its own `EmbeddedBroker` (same binary), so the baseline never
    /// shares a broker with the Swift client's run.
    public static func runProduce(
        seconds: Int = 5, recordSize: Int = 100, batchSize: Int = 100, tansu: URL? = nil
    ) throws -> Result {
        let broker = try EmbeddedBroker(executable: tansu)
        defer { broker.stop() }
        let topic = "tansu-perf"
        let admin = try KafkaAdmin(
            config: KafkaConfig(bootstrapServers: broker.bootstrapServers, clientID: "sluice-perf"))
        try admin.ensureTopic(KafkaNewTopic(name: topic, partitions: 1))

        let process = Process()
        process.executableURL = broker.executable
        process.arguments = [
            "perf", "--broker", "tcp://\(broker.bootstrapServers)", topic, "produce",
            "--record-size", String(recordSize), "--batch-size", String(batchSize), "--duration", "\(seconds)s",
        ]
        // Unread pipes can fill and stall the child: discard its output.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let started = Date()
        try process.run()
        process.waitUntilExit()
        let elapsed = Date().timeIntervalSince(started)
        guard process.terminationStatus == 0 else {
            throw KafkaError(
                code: .brokerProcess, message: "tansu perf exited with status \(process.terminationStatus)")
        }
        let high = try admin.watermarks(topic: topic, partition: 0).high
        return Result(
            records: high, seconds: min(elapsed, Double(seconds)), recordSize: recordSize, batchSize: batchSize)
    }
}
