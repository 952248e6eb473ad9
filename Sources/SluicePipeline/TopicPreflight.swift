import Foundation
import Logging
import SluiceKafka
import SluiceWorkflow

/// A worker checks, before joining its group, that the topics it reads and
/// writes exist. Without it a missing output or dead-letter topic showed only
/// as deliveries timing out after 30 s, then a rejoin, forever (brokers with
/// topic auto-creation off, as in compose/, never create them).
public struct TopicPreflight: Sendable {
    public let stage: StageSpec
    public let deadLetter: String

    public init(workflow: Workflow, stage: StageSpec) {
        self.stage = stage
        self.deadLetter = workflow.deadLetter
    }

    /// The stage's topics, with the role each plays, in the order they are checked.
    public var required: [(topic: String, role: String)] {
        [(stage.input, "input"), (stage.output, "output"), (deadLetter, "dead-letter")]
    }

    /// Names of the required topics missing from `existing`, each with its role.
    public func missing(from existing: Set<String>) -> [(topic: String, role: String)] {
        required.filter { !existing.contains($0.topic) }
    }

    /// Reads the broker's topic list (retrying while the broker cannot be reached,
    /// until `shouldStop`) and throws `MissingTopics` when any is absent.
    public func check(config: KafkaConfig, logger: Logger, shouldStop: () -> Bool) throws {
        var delay = 0.5
        while !shouldStop() {
            do {
                let admin = try KafkaAdmin(config: config)
                let existing = Set(try admin.listTopics().map(\.name))
                let absent = missing(from: existing)
                if !absent.isEmpty { throw MissingTopics(stage: stage.name, missing: absent) }
                return
            } catch let error as KafkaError where !error.isFatal && error.code != .invalidArgument {
                logger.warning("cannot list the broker's topics yet (\(error)); retrying in \(delay) s")
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 10)
            }
        }
    }
}

/// The stage cannot run: a topic it needs does not exist. Retrying cannot fix it.
public struct MissingTopics: Error, CustomStringConvertible {
    public let stage: String
    public let missing: [(topic: String, role: String)]

    public var description: String {
        let list = missing.map { "'\($0.topic)' (\($0.role))" }.joined(separator: ", ")
        return "stage '\(stage)' cannot start: the broker has no topic \(list). "
            + "Create the workflow's topics first: sluice topics apply <workflow file>"
    }
}
