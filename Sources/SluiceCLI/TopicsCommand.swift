import ArgumentParser
import Foundation
import SluiceKafka
import SluicePipeline
import SluiceWorkerMain
import SluiceWorkflow

/// `sluice topics apply|list`
struct TopicsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Create and list Kafka topics.",
        subcommands: [Apply.self, List.self])

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the topics a workflow (or topics) file declares, if missing.",
            discussion: """
                Creates each missing topic of the file's `topics:` section with its partitions and \
                config, and reports those that exist. Nothing is ever deleted or altered: a topic whose \
                partition count differs from the file is reported with a warning and left as it is \
                (Kafka can only add partitions, which remaps keys; do that deliberately with Kafka's tools).
                """)

        @Argument(help: "A workflow file (e.g. topics/sentiment-monitoring.yaml) or a file with only `topics:`.")
        var file: String
        @OptionGroup var broker: BrokerOptions

        func run() throws {
            let specs = try Workflow.loadTopics(path: file)
            let admin = try KafkaAdmin(config: try broker.kafkaConfig(clientID: "sluice-topics"))
            var failures = 0
            var mismatches = 0
            for (topic, outcome) in try TopicApplier.apply(specs, admin: admin) {
                switch outcome {
                case .created(let count):
                    print("created \(topic) (\(partitionsText(count)))")
                case .exists(let count):
                    print("exists \(topic) (\(partitionsText(count)))")
                case .partitionsDiffer(let have, let want):
                    mismatches += 1
                    print("exists \(topic) (\(partitionsText(have)))")
                    printError(
                        "warning: \(topic) has \(have) partitions, \(file) wants \(want); "
                            + "not changed (Kafka can only add partitions; sluice never alters existing topics)")
                case .failed(let reason):
                    failures += 1
                    printError("failed \(topic): \(reason)")
                }
            }
            // A workflow with a stage that runs a head gets the control topic `sluice deploy` writes to.
            if let workflow = try? Workflow.load(path: file),
                workflow.stages.contains(where: { $0.task == .sentiment || ($0.task == .classify && $0.head != nil) })
            {
                let control = SluiceEnvironment.controlTopic
                let result = try admin.createTopics(
                    [KafkaNewTopic(name: control, partitions: 1, config: ["cleanup.policy": "compact"])])[control]
                switch result {
                case .created: print("created \(control) (1 partition, compacted: model announcements)")
                case .alreadyExists, nil: print("exists \(control)")
                case .failed(let error):
                    failures += 1
                    printError("failed \(control): \(error)")
                }
            }
            if mismatches > 0 {
                printError("\(mismatches) topic(s) differ from the file and were left unchanged")
            }
            if failures > 0 {
                throw CLIError(
                    "\(failures) topic(s) could not be created (see above); check the broker and the topic config")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the broker's topics and their partition counts.")

        @OptionGroup var broker: BrokerOptions

        func run() throws {
            let admin = try KafkaAdmin(config: try broker.kafkaConfig(clientID: "sluice-topics"))
            let topics = try admin.listTopics()
            let width = topics.map(\.name.count).max() ?? 0
            for topic in topics {
                let padded = topic.name.padding(toLength: max(width, topic.name.count), withPad: " ", startingAt: 0)
                print("\(padded)  \(partitionsText(topic.partitionCount))")
            }
            if topics.isEmpty { printError("no topics (create them with `sluice topics apply FILE`)") }
        }
    }
}
