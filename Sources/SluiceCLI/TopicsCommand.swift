import ArgumentParser
import Foundation
import SluiceKafka
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
            var existing: [String: Int] = [:]
            for topic in try admin.listTopics() { existing[topic.name] = topic.partitionCount }
            let missing = specs.filter { existing[$0.name] == nil }
            let outcome = missing.isEmpty ? [:] : try admin.createTopics(missing.map {
                KafkaNewTopic(
                    name: $0.name, partitions: Int32($0.partitions), replicationFactor: Int32($0.replicationFactor),
                    config: $0.config)
            })
            var failures = 0
            var mismatches = 0
            for spec in specs {
                var have = existing[spec.name]
                switch outcome[spec.name] {
                case .created?:
                    print("created \(spec.name) (\(partitionsText(spec.partitions)))")
                    continue
                case .failed(let error)?:
                    failures += 1
                    printError("failed \(spec.name): \(error)")
                    continue
                case .alreadyExists?:  // created by someone else since we listed
                    have = try admin.describeTopic(spec.name).partitionCount
                case nil:
                    break
                }
                let count = have ?? 0
                print("exists \(spec.name) (\(partitionsText(count)))")
                if count != spec.partitions {
                    mismatches += 1
                    printError(
                        "warning: \(spec.name) has \(count) partitions, \(file) wants \(spec.partitions); "
                            + "not changed (Kafka can only add partitions; sluice never alters existing topics)")
                }
            }
            if mismatches > 0 {
                printError("\(mismatches) topic(s) differ from the file and were left unchanged")
            }
            if failures > 0 {
                throw CLIError("\(failures) topic(s) could not be created (see above); check the broker and the topic config")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the broker's topics and their partition counts.")

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
