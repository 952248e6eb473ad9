import SluiceEvents

/// A step of a workflow: what a worker runs on each micro-batch of its stage's input.
/// Implement it to add a task of your own (docs/writing-a-stage.md), register it in a
/// `StageCatalog` and run it with `WorkerMain.run` (module SluiceWorkerMain).
///
/// The worker owns everything around the step: it polls a micro-batch (the stage's
/// `batch.size` records, or fewer once `batch.wait_ms` passed after the first),
/// decodes each record into an `Envelope`, dead-letters those it cannot decode (with
/// reasons such as `invalid-json` or `missing-text`) or that lack what `requirement`
/// asks for, calls `process` once with the rest, appends the stage's hop to each
/// result, produces it to the output topic and commits the input offsets only after
/// the broker acknowledged every output and dead letter.
///
/// Threading: `process` is called one batch at a time, never concurrently on one instance,
/// unless the stage says otherwise (`concurrentBatches`); one instance serves the whole
/// life of the worker.
/// Stages keep no per-event state across batches, so any worker of a stage can take any
/// partition of its input, and a batch processed again after a crash gives the same results.
public protocol Stage: Sendable {
    /// What the step needs on each event before it runs. An event without it never
    /// reaches `process`: it goes to the dead-letter topic (`missing-embedding`, ...).
    var requirement: StageRequirement { get }
    /// Runs the step once for a micro-batch of decoded events, in input order (never empty).
    /// Returns exactly one result per event, in the same order: the event with the
    /// step's results added (usually under its own key in `results`), or a `StageError`
    /// that sends that event alone to the dead-letter topic, its `reason` and `detail`
    /// in the record's headers, while the rest of the batch goes on. Throwing is not
    /// part of the contract: a step that fails for the whole batch (a model error)
    /// returns the failure for each event. A result count that differs from the batch's
    /// dead-letters the whole batch (`stage-error`).
    func process(_ batch: [Envelope]) -> [Result<Envelope, StageError>]
    /// The encoder the step runs (e.g. `all-MiniLM-L6-v2@1a2b`), shown in the registry; nil (the default) for none.
    var modelID: String? { get }
    /// The precision and kernel the encoder's GEMMs run in on this CPU (e.g. `int8 (int8 AVX2 ...)`,
    /// with any fallback), shown in the registry; nil (the default) for a step without an encoder.
    var precision: String? { get }
    /// The version of the trained head the step applies, shown in the registry; nil (the default) for none.
    var headVersion: String? { get }
    /// The replaceable head of a stage that runs one (`sluice deploy`); nil (the default) for none.
    var headSlot: HeadSlot? { get }
    /// How many batches the worker may run `process` on at once, each on its own thread,
    /// while it hands the outputs over in input order all the same. 1 (the default): one
    /// at a time. More only for a step that is safe to call concurrently and gains from it:
    /// the embed step's encoder runs two calls on a thread each, with nothing to wait on,
    /// where one call splits every chunk over both threads (docs/benchmarks/cpu-budget.md).
    var concurrentBatches: Int { get }
}

extension Stage {
    public var modelID: String? { nil }
    public var precision: String? { nil }
    public var headVersion: String? { nil }
    public var headSlot: HeadSlot? { nil }
    public var concurrentBatches: Int { 1 }
}

/// What a stage needs on each event before its step runs.
public enum StageRequirement: Sendable {
    /// The event's `text`, which every decoded event has.
    case text
    /// An `embedding` of this many dimensions, which an upstream `embed` stage adds.
    case embedding(dimension: Int)
}

/// An event the step could not handle; it goes to the dead-letter topic with this reason.
public struct StageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Machine-readable, in the `sluice_dlq_reason` header: short kebab-case (`no-keywords`),
    /// so `sluice dlq` and alerts can group dead letters by it.
    public let reason: String
    /// For people, in the `sluice_dlq_detail` header (cut to 1,000 characters).
    public let detail: String

    public init(reason: String, detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(reason): \(detail)" }
}
