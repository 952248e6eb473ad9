import ArgumentParser

/// `sluice bench ...`: performance measurements, each printed beside a baseline measured in the same run.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput of Sluice's parts.",
        subcommands: [BenchKafka.self, BenchEmbed.self, BenchPipeline.self])
}
