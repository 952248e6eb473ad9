import Foundation
import SluiceEvents
import SluiceML
import SluiceWorkflow

/// The pure part of a worker: records in, outcomes out, one per record in order.
/// Decodes each record, runs the stage once on the valid ones, adds the hop,
/// encodes, and turns every failure into a dead letter that names its reason.
/// Every outcome fits `sizeLimit`: an output that would not becomes the dead
/// letter `output-too-large`, and a dead letter that would not is cut down to
/// the dead letter `truncated` (see `truncatedDeadLetter`).
public struct BatchProcessor: Sendable {
    public let workflowName: String
    public let stageName: String
    public let worker: String
    public let maxTextBytes: Int
    public let sizeLimit: RecordSizeLimit
    public let stage: any Stage

    public init(
        workflow: Workflow, stage spec: StageSpec, step: any Stage, worker: String,
        sizeLimit: RecordSizeLimit = RecordSizeLimit()
    ) {
        self.workflowName = workflow.name
        self.stageName = spec.name
        self.worker = worker
        self.maxTextBytes = workflow.limits.maxTextBytes
        self.sizeLimit = sizeLimit
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
        var results = valid.isEmpty ? [] : stage.process(valid.map(\.envelope))
        if results.count != valid.count {
            // A step that broke the one-result-per-event contract (a stage package's bug): its
            // results cannot be matched to events, so none is trusted, and the worker goes on.
            let failure = StageError(
                reason: DeadLetterReason.stageError,
                detail: "stage '\(stageName)' returned \(results.count) results for a batch of \(valid.count) events")
            results = valid.map { _ in .failure(failure) }
        }
        let processMicros = Int64((DispatchTime.now().uptimeNanoseconds - started) / 1_000)
        let producedAt = EventClock.nowMicros()
        for (slot, result) in zip(valid, results) {
            let record = records[slot.index]
            switch result {
            case .success(var envelope):
                envelope.hops.append(
                    Hop(
                        stage: stageName, worker: worker, consumedAt: consumedAt, producedAt: producedAt,
                        batchSize: valid.count, processMicros: processMicros))
                let headers = EventHeaders.outgoing(
                    incoming: record.headers, eventID: envelope.id, workflow: workflowName, stage: stageName)
                let key = record.key ?? Array(envelope.id.utf8)
                let value = envelope.encoded()
                if sizeLimit.fits(key: key, value: value, headers: headers) {
                    outcomes[slot.index] = .output(key: key, value: value, headers: headers)
                } else {
                    let size = sizeLimit.size(key: key, value: value, headers: headers)
                    outcomes[slot.index] = deadLetter(
                        record, reason: DeadLetterReason.outputTooLarge,
                        detail:
                            "stage '\(stageName)' made a \(size)-byte record, over the producer's message.max.bytes "
                            + "(\(sizeLimit.maxBytes)); send less 'data', or raise message.max.bytes here and on the broker"
                    )
                }
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
        headers += deadLetterHeaders(record, reason: reason, detail: detail)
        if sizeLimit.fits(key: record.key, value: record.value, headers: headers) {
            return .deadLetter(key: record.key, value: record.value, headers: headers, reason: reason)
        }
        return truncatedDeadLetter(record, reason: reason, detail: detail)
    }

    private func deadLetterHeaders(_ record: InputRecord, reason: String, detail: String) -> [EventHeader] {
        [
            EventHeader(DeadLetterHeaders.reason, reason),
            EventHeader(DeadLetterHeaders.detail, String(detail.prefix(1_000))),
            EventHeader(DeadLetterHeaders.stage, stageName),
            EventHeader(DeadLetterHeaders.sourceTopic, record.topic),
            EventHeader(DeadLetterHeaders.sourcePartition, String(record.partition)),
            EventHeader(DeadLetterHeaders.sourceOffset, String(record.offset)),
            EventHeader(DeadLetterHeaders.failedAt, String(EventClock.nowMicros())),
        ]
    }

    /// A dead letter too large to produce whole keeps Sluice's headers (the caller's
    /// too when they fit in a quarter of the limit), the first bytes of the value,
    /// and the SHA-256 and size of the whole value, so it can be matched to its
    /// source record (topic, partition and offset are in the headers).
    private func truncatedDeadLetter(_ record: InputRecord, reason: String, detail: String) -> Outcome {
        let callerHeaders = record.headers.filter { !DeadLetterHeaders.all.contains($0.key) }
        let key = record.key.map { $0.count > 256 ? Array($0.prefix(256)) : $0 }
        var headers = deadLetterHeaders(
            record, reason: DeadLetterReason.truncated,
            detail: "\(reason): \(detail) (the dead letter of \(record.value.count) bytes was over message.max.bytes "
                + "\(sizeLimit.maxBytes): its value holds the first bytes only)")
        headers.append(EventHeader(DeadLetterHeaders.originalReason, reason))
        headers.append(EventHeader(DeadLetterHeaders.originalSHA256, ContentDigest.sha256Hex(record.value)))
        headers.append(EventHeader(DeadLetterHeaders.originalBytes, String(record.value.count)))
        if sizeLimit.size(key: key, value: [], headers: headers + callerHeaders) <= sizeLimit.maxBytes / 4 {
            headers = callerHeaders + headers
        }
        let room = max(0, sizeLimit.maxBytes - sizeLimit.size(key: key, value: [], headers: headers))
        return .deadLetter(
            key: key, value: Array(record.value.prefix(room)), headers: headers, reason: DeadLetterReason.truncated)
    }
}
