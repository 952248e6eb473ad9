import ArgumentParser

/// `sluice bench ...`: performance measurements (embed, and the whole pipeline).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput of Sluice's parts.",
        subcommands: [BenchEmbed.self, BenchPipeline.self])
}
