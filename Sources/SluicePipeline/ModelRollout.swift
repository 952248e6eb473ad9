import Foundation
import SluiceJSON
import SluiceKafka
import SluiceML
import SluiceRegistry
import SluiceWorkflow

/// `sluice deploy`: checks a head against the stage it is meant for (the same
/// `HeadSlot.validate` the workers run) and writes announcements to the control
/// topic: the head record first, then the stage's new state.
public struct ModelRollout: Sendable {
    public let workflow: Workflow
    public let stage: StageSpec
    /// The stage as a worker builds it from the workflow file: its slot holds the file's head.
    public let slot: HeadSlot
    public let config: KafkaConfig
    public let topic: String
    public let by: String

    /// What an announcement did.
    public struct Outcome: Sendable {
        public var state: ModelState
        /// Head versions written (the file's head first when this was the stage's first deploy).
        public var headsWritten: [String]
        /// Nothing changed: the state asked for is the state in place.
        public var unchanged: Bool
    }

    /// Finds the stage and loads what its workers load; refuses stages without a head.
    public static func target(
        workflow: Workflow, stage name: String, config: KafkaConfig, topic: String = ModelControl.defaultTopic,
        modelDirectory: String? = nil, by: String
    ) throws(PipelineError) -> ModelRollout {
        guard let spec = workflow.stage(named: name) else {
            let names = workflow.stages.map(\.name).joined(separator: ", ")
            throw PipelineError(
                "unknown stage '\(name)': workflow '\(workflow.name)' has stages \(names); pass one of them to --stage")
        }
        switch spec.task {
        case .sentiment:
            break
        case .classify where spec.head != nil:
            break
        case .classify:
            throw PipelineError(
                "stage '\(name)' classifies zero-shot from labels; only stages with a head can be deployed to "
                    + "(give it 'head: FILE' in the workflow file, e.g. one from `sluice train classifier`)")
        default:
            throw PipelineError(
                "stage '\(name)' runs task '\(spec.task.rawValue)', which has no head; only stages with a head "
                    + "(sentiment, or classify with 'head:') can be deployed to")
        }
        let step: any Stage
        do { step = try StageFactory.make(spec, workflow: workflow, modelDirectory: modelDirectory) } catch {
            throw PipelineError("stage '\(name)' cannot be loaded as its workers would load it: \(error)")
        }
        guard let slot = step.headSlot else { throw PipelineError("stage '\(name)' has no head") }
        return ModelRollout(workflow: workflow, stage: spec, slot: slot, config: config, topic: topic, by: by)
    }

    /// Parses and validates a head file's bytes for this stage, with `version` replacing
    /// the file's own when given. Returns the head and the bytes to announce.
    public func check(headBytes: [UInt8], version: String? = nil) throws(PipelineError) -> (
        file: HeadFile, bytes: [UInt8]
    ) {
        var root: JSONValue
        do { root = try JSONValue.parse(headBytes) } catch {
            throw PipelineError(
                "not valid JSON, the head file is corrupt or truncated (\(error.description)); "
                    + "write it again with `sluice train`")
        }
        var bytes = headBytes
        if let version {
            guard case .object(var members) = root else { throw PipelineError("expected a JSON object") }
            guard !version.isEmpty, !version.contains("/") else {
                throw PipelineError("--version '\(version)' must be non-empty and have no '/'")
            }
            members["version"] = .string(version)
            root = .object(members)
            bytes = Array(root.serialized().utf8)
        }
        let file: HeadFile
        do { file = try HeadFile.parse(root) } catch {
            throw PipelineError("not a usable head file: \(error.description); write it again with `sluice train`")
        }
        guard !file.version.contains("/"), !file.version.isEmpty else {
            throw PipelineError("head version '\(file.version)' must be non-empty and have no '/'; pass --version V")
        }
        do { try slot.validate(file) } catch {
            throw PipelineError("\(error.description) (stage '\(stage.name)' of workflow '\(workflow.name)')")
        }
        return (file, bytes)
    }

    public var stateKey: String { ModelControl.stateKey(workflow: workflow.name, stage: stage.name) }

    /// The control topic folded for this stage (empty when the topic does not exist).
    public func read() throws(KafkaError) -> ControlFold {
        var fold = ControlFold(workflow: workflow.name, stage: stage.name)
        for record in try RegistryView.readAll(config: config, topic: topic) {
            fold.apply(key: record.key, value: record.value)
        }
        return fold
    }

    /// The stage's current state; nil when nothing was deployed to it (or its record is unreadable).
    public func state(in fold: ControlFold) -> ModelState? {
        fold.stateRecord.flatMap { try? ModelState.decode($0) }
    }

    /// Announces `file` as the active head, or with `canary` as a canary on that fraction of events.
    public func announce(_ file: HeadFile, bytes: [UInt8], canary: Double? = nil) throws -> Outcome {
        if let canary, !(canary > 0 && canary < 1) {
            throw PipelineError(
                "--canary \(canary) must be a fraction between 0 and 1, e.g. 0.1 for a tenth of the events")
        }
        let fold = try read()
        let state = state(in: fold)
        let version = file.version
        if let existing = fold.heads[version] {
            let same = (try? JSONValue.parse(existing)).flatMap { try? HeadFile.parse($0).json() } == file.json()
            guard same else {
                throw PipelineError(
                    "head version '\(version)' was already announced for \(stateKey) with different content; "
                        + "give this head its own version (--version V, or train with --head-version V)")
            }
        }
        var heads: [(String, [UInt8])] = []
        let fileHead = slot.current.active
        if state == nil && fold.heads[fileHead.version] == nil && fileHead.version != version {
            // The first deploy: keep the file's head fetchable, so a rollback can return to it.
            heads.append((fileHead.version, Array(fileHead.json().serialized().utf8)))
        }
        if fold.heads[version] == nil { heads.append((version, bytes)) }
        let active = state?.active ?? fileHead.version
        var next: ModelState
        if let canary {
            guard version != active else {
                throw PipelineError(
                    "head version '\(version)' is already active on \(stateKey); a canary needs a different version")
            }
            next = ModelState(
                workflow: workflow.name, stage: stage.name, active: active,
                canary: ModelState.Canary(version: version, fraction: canary), previous: state?.previous ?? [], by: by)
        } else {
            let previous = version == active ? (state?.previous ?? []) : [active] + (state?.previous ?? [])
            next = ModelState(
                workflow: workflow.name, stage: stage.name, active: version, canary: nil,
                previous: previous.filter { $0 != version }, by: by)
        }
        return try write(heads: heads, state: next, old: state)
    }

    /// Ends the canary by making its version the active one.
    public func promote() throws -> Outcome {
        let fold = try read()
        guard let state = state(in: fold), let canary = state.canary else {
            throw PipelineError(
                "no canary on \(stateKey) to promote; start one with `sluice deploy --workflow FILE --stage "
                    + "\(stage.name) --head FILE --canary 0.1`")
        }
        return try write(
            heads: [],
            state: ModelState(
                workflow: workflow.name, stage: stage.name, active: canary.version, canary: nil,
                previous: ([state.active] + state.previous).filter { $0 != canary.version }, by: by),
            old: state)
    }

    /// Ends a canary (the active head stays); without one, makes the previous version active again.
    public func rollback() throws -> Outcome {
        let fold = try read()
        guard let state = state(in: fold) else {
            throw PipelineError(
                "nothing was deployed to \(stateKey): it runs the workflow file's head "
                    + "'\(slot.current.active.version)'; there is nothing to roll back")
        }
        var next = state
        next.announcedAt = Int64(Date().timeIntervalSince1970 * 1_000_000)
        next.by = by
        if state.canary != nil {
            next.canary = nil
        } else {
            guard let previous = state.previous.first else {
                throw PipelineError(
                    "\(stateKey) runs '\(state.active)' and has no previous version to roll back to; "
                        + "deploy the head you want with `sluice deploy --head FILE`")
            }
            next.active = previous
            next.previous = Array(state.previous.dropFirst())
        }
        return try write(heads: [], state: next, old: state)
    }

    private func write(heads: [(String, [UInt8])], state: ModelState, old: ModelState?) throws -> Outcome {
        if let old, old.active == state.active, old.canary == state.canary, heads.isEmpty {
            return Outcome(state: old, headsWritten: [], unchanged: true)
        }
        let admin = try KafkaAdmin(config: config)
        try ModelControl.ensureTopic(topic, admin: admin)
        var producerConfig = KafkaProducerConfig(common: config)
        producerConfig.common.clientID = "sluice-deploy"
        let producer = try KafkaProducer(config: producerConfig)
        defer { producer.close() }
        // Heads first and acknowledged, so that no reader ever sees a state naming a head it has not read.
        for (version, bytes) in heads {
            let key = ModelControl.headKey(workflow: workflow.name, stage: stage.name, version: version)
            try deliver(producer, KafkaProducerMessage(topic: topic, key: key, value: bytes))
        }
        try deliver(producer, KafkaProducerMessage(topic: topic, key: stateKey, value: state.encoded()))
        return Outcome(state: state, headsWritten: heads.map(\.0), unchanged: false)
    }

    private func deliver(_ producer: KafkaProducer, _ message: KafkaProducerMessage) throws {
        let reports = try producer.sendBatch([message], timeoutMs: 30_000)
        if let error = reports.first?.error {
            throw PipelineError("the control topic \(topic) did not take the announcement: \(error); nothing changed")
        }
    }
}
