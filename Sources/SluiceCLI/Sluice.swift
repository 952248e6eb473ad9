import ArgumentParser

@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Run deep-learning steps as streaming workflows over Kafka.",
        subcommands: [
            UpCommand.self, WorkflowCommand.self, WorkerCommand.self,
            EmbedCommand.self, SentimentCommand.self, Classify.self, Train.self,
            Bench.self, Monitor.self,
        ])
}
