import ArgumentParser
import Foundation
import SluiceKafka
import SluiceML
import SluicePipeline
import SluiceWorkerMain
import SluiceWorkflow

/// `sluice deploy [announce]|promote|rollback|show`: model rollout over the control topic.
struct DeployCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Roll a new head out to a running stage, as a canary or at once; promote, roll back, show.",
        discussion: """
            Announcements go to the control topic ($SLUICE_CONTROL_TOPIC, else sluice-control): \
            the head file under <workflow>/<stage>/head/<version>, then the stage's state \
            (active version, canary, previous versions) under <workflow>/<stage>. Every worker of \
            the stage validates the head and switches between two batches, without a restart; \
            a head it cannot use is refused in its log and it keeps the one it has.
            """,
        subcommands: [Announce.self, Promote.self, Rollback.self, Show.self],
        defaultSubcommand: Announce.self)

    /// Which stage of which workflow, on which brokers.
    struct Target: ParsableArguments {
        @Option(help: "The workflow file, e.g. topics/sentiment-monitoring.yaml.") var workflow: String
        @Option(help: "The stage to deploy to (sentiment, or classify with a head).") var stage: String
        @Option(help: "The model folder (default: $SLUICE_MODEL_DIR, else .deps/model).") var model: String?
        @OptionGroup var broker: BrokerOptions

        func rollout() throws -> ModelRollout {
            try makeRollout(workflow: workflow, stage: stage, model: model, broker: broker)
        }
    }

    struct Announce: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "announce", abstract: "Validate a head file and announce it (the default subcommand).")

        @OptionGroup var target: Target
        @Option(help: "The head file to roll out (from `sluice train`).") var head: String
        @Option(help: "Score this fraction of events (0-1, by event id) with the new head as well as the active one.")
        var canary: Double?
        @Option(help: "Announce under this version instead of the file's own.") var version: String?

        func validate() throws {
            if let canary, !(canary > 0 && canary < 1) {
                throw ValidationError("--canary must be a fraction between 0 and 1, e.g. 0.1 for a tenth of the events")
            }
        }

        func run() throws {
            try announceHead(rollout: { try target.rollout() }, path: head, canary: canary, version: version)
        }
    }

    struct Promote: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End the canary: its version becomes the active head.")
        @OptionGroup var target: Target
        func run() throws {
            let rollout = try target.rollout()
            report(try rollout.promote(), rollout)
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End the canary (the active head stays); without one, make the previous version active again.")
        @OptionGroup var target: Target
        func run() throws {
            let rollout = try target.rollout()
            report(try rollout.rollback(), rollout)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the stage's state on the control topic.")
        @OptionGroup var target: Target
        @Flag(help: "The state record as JSON.") var json = false
        func run() throws {
            let rollout = try target.rollout()
            let fold = try rollout.read()
            let versions = fold.heads.keys.sorted()
            guard let state = rollout.state(in: fold) else {
                if json {
                    print("null")
                } else {
                    print(
                        "\(rollout.stateKey): nothing deployed; workers run the workflow file's head "
                            + "'\(rollout.slot.current.active.version)'")
                }
                return
            }
            if json {
                print(state.json().serialized())
                return
            }
            print(describe(state, rollout))
            print("  versions on \(rollout.topic): \(versions.joined(separator: ", "))")
        }
    }
}

func makeRollout(workflow path: String, stage: String, model: String?, broker: BrokerOptions) throws -> ModelRollout {
    let workflow = try Workflow.load(path: path)
    let config = try broker.kafkaConfig(clientID: "sluice-deploy")
    do {
        return try ModelRollout.target(
            workflow: workflow, stage: stage, config: config, topic: SluiceEnvironment.controlTopic,
            modelDirectory: model,
            by: SluiceEnvironment.announcer)
    } catch {
        throw CLIError("\(path): \(error.description)")
    }
}

/// Validates and announces a head file; shared by `sluice deploy` and `sluice train --deploy`.
func announceHead(rollout make: () throws -> ModelRollout, path: String, canary: Double?, version: String?) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CLIError("\(path): cannot read the head file; pass the path of a head written by `sluice train`")
    }
    let rollout = try make()
    let checked: (file: HeadFile, bytes: [UInt8])
    do { checked = try rollout.check(headBytes: [UInt8](data), version: version) } catch {
        throw CLIError("\(path): \(error.description)")
    }
    report(try rollout.announce(checked.file, bytes: checked.bytes, canary: canary), rollout)
}

private func report(_ outcome: ModelRollout.Outcome, _ rollout: ModelRollout) {
    if !outcome.headsWritten.isEmpty {
        print("announced head \(outcome.headsWritten.joined(separator: ", ")) on \(rollout.topic)")
    }
    print((outcome.unchanged ? "unchanged: " : "") + describe(outcome.state, rollout))
}

private func describe(_ state: ModelState, _ rollout: ModelRollout) -> String {
    var text = "\(rollout.stateKey): active \(state.active)"
    if let canary = state.canary {
        text += ", canary \(canary.version) on \(String(format: "%g", canary.fraction * 100)) % of events"
    }
    text += state.previous.isEmpty ? ", no previous version" : ", previous \(state.previous.joined(separator: ", "))"
    text += " (by \(state.by) at \(isoString(micros: state.announcedAt)))"
    return text
}
