import ArgumentParser

/// `sluice bench ...`: performance measurements (pipeline comes later).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput of Sluice's parts.",
        subcommands: [BenchKafka.self, BenchEmbed.self])
}
