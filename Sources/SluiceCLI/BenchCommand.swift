import ArgumentParser

/// `sluice bench ...`: performance measurements (kafka and pipeline come later).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput of Sluice's parts.",
        subcommands: [BenchEmbed.self])
}
