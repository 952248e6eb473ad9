import ArgumentParser
import Foundation
import SluiceBench
import SluiceKafka
import SluiceWorkerMain

/// `sluice bench kafka`: the Swift client's produce and consume rates against
/// Tansu's own load generator measured in the same run.
struct BenchKafka: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Benchmark producing and consuming through the Kafka client.",
        discussion: """
            Produces --records records of --size bytes to a fresh topic and consumes them back, on \
            its own embedded Tansu broker unless --brokers (or SLUICE_BROKERS) is given. The baseline \
            is `tansu perf ... produce` (Tansu's own load generator, batches of 100) run for \
            --baseline-seconds against a second embedded broker started for it, counted from the \
            topic's high watermark afterwards (a slight underestimate).
            """)

    @Option(help: "Records to produce and consume.") var records = 100_000
    @Option(help: "Record size in bytes.") var size = 100
    @Option(help: "Partitions of the benchmark topic.") var partitions: Int32 = 4
    @Option(help: "How long the tansu perf baseline runs (s); 0 skips it.") var baselineSeconds = 5
    @OptionGroup var broker: BrokerOptions

    func validate() throws {
        guard records > 0, size > 0, partitions > 0, baselineSeconds >= 0 else {
            throw ValidationError(
                "--records, --size and --partitions must be positive, --baseline-seconds not negative")
        }
    }

    func run() throws {
        let target = broker.given
        print(
            "sluice client: \(records) records x \(size) B, \(partitions) partitions, on "
                + (target ?? "an embedded Tansu broker") + " ...")
        fflush(nil)
        let result = try KafkaThroughputBenchmark.run(
            bootstrapServers: target, records: records, recordSize: size, partitions: partitions,
            tansu: SluiceEnvironment.tansu())
        print(result.description)
        fflush(nil)
        var baseline: TansuPerfBaseline.Result?
        if baselineSeconds > 0 {
            print("baseline: tansu perf produce for \(baselineSeconds) s on its own embedded broker ...")
            fflush(nil)
            baseline = try TansuPerfBaseline.runProduce(
                seconds: baselineSeconds, recordSize: size, tansu: SluiceEnvironment.tansu())
            print(baseline!.description)
        }
        print("")
        print("                          produce rec/s   consume rec/s")
        print(row("sluice (librdkafka)", result.produceRecordsPerSecond, result.consumeRecordsPerSecond))
        if let baseline { print(row("tansu perf (baseline)", baseline.recordsPerSecond, nil)) }
        print(
            "sluice: produce = first enqueue to last delivery report; consume = first to last record polled "
                + "(group join of \(String(format: "%.1f", result.consumerJoinSeconds)) s excluded).")
        if baseline != nil {
            print(
                "baseline: Tansu's own generator, produce only, 1 partition, records counted by the high "
                    + "watermark after the run (may trail by one batch), divided by the run time.")
        }
    }

    private func row(_ name: String, _ produce: Double, _ consume: Double?) -> String {
        func cell(_ value: Double?) -> String {
            let text = value.map { String(Int($0.rounded())) } ?? "-"
            return String(repeating: " ", count: Swift.max(0, 14 - text.count)) + text
        }
        return name.padding(toLength: 24, withPad: " ", startingAt: 0) + cell(produce) + "  " + cell(consume)
    }
}
