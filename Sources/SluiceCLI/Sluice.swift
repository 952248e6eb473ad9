import ArgumentParser

@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Run deep-learning steps as streaming workflows over Kafka.",
        subcommands: [EmbedCommand.self, Bench.self, Train.self, SentimentCommand.self, Classify.self])
}
