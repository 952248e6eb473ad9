import Foundation
import SluiceEvents
import SluiceWorkflow

/// The pure part of a worker: records in, outcomes out, one per record in order.
/// Decodes each record, runs the stage once on the valid ones, adds the hop,
/// encodes, and turns every failure into a dead letter that names its reason.
public struct BatchProcessor: Sendable {
    public let workflowName: String
    public let stageName: String
    public let worker: String
    public let maxTextBytes: Int
    public let stage: any Stage

    public init(workflow: Workflow, stage spec: StageSpec, step: any Stage, worker: String) {
        self.workflowName = workflow.name
        self.stageName = spec.name
        self.worker = worker
        self.maxTextBytes = workflow.limits.maxTextBytes
        self.stage = step
    }

    public func run(_ records: [InputRecord], consumedAt: Int64) -> [Outcome] {
        var outcomes = [Outcome?](repeating: nil, count: records.count)
        var valid: [(index: Int, envelope: Envelope)] = []
        for (index, record) in records.enumerated() {
            do {
                let envelope = try decode(record)
                valid.append((index, envelope))
            } catch {
                outcomes[index] = deadLetter(record, reason: error.reason, detail: error.detail)
            }
        }
        let started = DispatchTime.now().uptimeNanoseconds
        let results = valid.isEmpty ? [] : stage.process(valid.map(\.envelope))
        let processMicros = Int64((DispatchTime.now().uptimeNanoseconds - started) / 1_000)
        let producedAt = EventClock.nowMicros()
        for (slot, result) in zip(valid, results) {
            let record = records[slot.index]
            switch result {
            case .success(var envelope):
                envelope.hops.append(
                    Hop(stage: stageName, worker: worker, consumedAt: consumedAt, producedAt: producedAt,
                        batchSize: valid.count, processMicros: processMicros))
                let headers = EventHeaders.outgoing(
                    incoming: record.headers, eventID: envelope.id, workflow: workflowName, stage: stageName)
                outcomes[slot.index] = .output(
                    key: record.key ?? Array(envelope.id.utf8), value: envelope.encoded(), headers: headers)
            case .failure(let error):
                outcomes[slot.index] = deadLetter(record, reason: error.reason, detail: error.detail)
            }
        }
        return outcomes.map { $0! }
    }

    private func decode(_ record: InputRecord) throws(DecodeFailure) -> Envelope {
        let envelope: Envelope
        do {
            envelope = try Envelope.decode(
                record.value, fallbackID: "\(record.topic)-\(record.partition)-\(record.offset)",
                fallbackCreatedAt: record.timestampMicros, maxTextBytes: maxTextBytes)
        } catch {
            throw DecodeFailure(reason: error.reason.rawValue, detail: error.detail)
        }
        if case .embedding(let dimension) = stage.requirement {
            guard let embedding = envelope.embedding else {
                throw DecodeFailure(
                    reason: EnvelopeError.Reason.missingEmbedding.rawValue,
                    detail: "stage '\(stageName)' needs an 'embedding'; route events through an embed stage first")
            }
            guard embedding.count == dimension else {
                throw DecodeFailure(
                    reason: EnvelopeError.Reason.badEmbedding.rawValue,
                    detail: "stage '\(stageName)' needs a \(dimension)-d embedding, got \(embedding.count)")
            }
        }
        return envelope
    }

    private struct DecodeFailure: Error {
        let reason: String
        let detail: String
    }

    private func deadLetter(_ record: InputRecord, reason: String, detail: String) -> Outcome {
        var headers = record.headers.filter { !DeadLetterHeaders.all.contains($0.key) }
        headers.append(EventHeader(DeadLetterHeaders.reason, reason))
        headers.append(EventHeader(DeadLetterHeaders.detail, String(detail.prefix(1_000))))
        headers.append(EventHeader(DeadLetterHeaders.stage, stageName))
        headers.append(EventHeader(DeadLetterHeaders.sourceTopic, record.topic))
        headers.append(EventHeader(DeadLetterHeaders.sourcePartition, String(record.partition)))
        headers.append(EventHeader(DeadLetterHeaders.sourceOffset, String(record.offset)))
        headers.append(EventHeader(DeadLetterHeaders.failedAt, String(EventClock.nowMicros())))
        return .deadLetter(value: record.value, headers: headers, reason: reason)
    }
}
