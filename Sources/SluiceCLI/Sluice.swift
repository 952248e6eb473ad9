import ArgumentParser

@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Run deep-learning steps as streaming workflows over Kafka.",
        subcommands: [
            UpCommand.self, WorkerCommand.self, Monitor.self, StatusCommand.self, GatewayCommand.self,
            DeployCommand.self,
            BrokerCommand.self, TopicsCommand.self, ProduceCommand.self, ConsumeCommand.self, DLQCommand.self,
            WorkflowCommand.self,
            EmbedCommand.self, SentimentCommand.self, Classify.self, EvalCommand.self, Train.self,
            Bench.self,
        ])
}
