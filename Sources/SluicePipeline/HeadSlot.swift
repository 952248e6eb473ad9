import Foundation
import SluiceJSON
import SluiceML

/// The heads a stage runs, swapped as a whole under a lock. A stage takes one
/// snapshot at the start of each batch (`Stage.process` runs once per batch), so
/// a switch always falls between batches: every event of a batch is scored by the
/// same heads, and no event waits for or is dropped by a switch.
public final class HeadSlot: @unchecked Sendable {
    public struct Heads: Sendable {
        public var active: HeadFile
        public var canary: HeadFile?
        public var fraction: Double

        public init(active: HeadFile, canary: HeadFile? = nil, fraction: Double = 0) {
            self.active = active
            self.canary = canary
            self.fraction = canary == nil ? 0 : fraction
        }
    }

    /// What a replacement head must match.
    public enum Task: Sendable, Equatable {
        /// negative / neutral / positive, in any order.
        case sentiment
        /// The same label set as the head the stage started with (downstream relies on it).
        case classify(labels: [String])
    }

    public let task: Task
    /// `SentenceEmbedder.modelID` of the encoder upstream.
    public let model: String
    public let dimension: Int
    private let lock = NSLock()
    private var heads: Heads

    public init(initial: HeadFile, task: Task, model: String, dimension: Int) {
        self.task = task
        self.model = model
        self.dimension = dimension
        heads = Heads(active: initial)
    }

    public var current: Heads { lock.withLock { heads } }

    public func install(_ new: Heads) { lock.withLock { heads = new } }

    /// Refuses a head this stage cannot run, saying why and what to do.
    public func validate(_ file: HeadFile) throws(HeadFileError) {
        guard file.model == model else {
            throw HeadFileError(
                "head version '\(file.version)' was trained on embeddings of '\(file.model)', but this stage receives "
                    + "embeddings of '\(model)'; train the head on '\(model)' (sluice train ... --model DIR)")
        }
        guard file.head.inputDimension == dimension else {
            throw HeadFileError(
                "head version '\(file.version)' takes \(file.head.inputDimension)-dimensional embeddings, but this stage "
                    + "receives \(dimension)-dimensional ones; train a head on the stage's encoder")
        }
        switch task {
        case .sentiment:
            guard Set(file.labels) == Set(SentimentScorer.labels) else {
                throw HeadFileError(
                    "head version '\(file.version)' has labels \(file.labels); a sentiment stage needs exactly "
                        + "\(SentimentScorer.labels); train it with `sluice train sentiment`")
            }
        case .classify(let labels):
            guard Set(file.labels) == Set(labels) else {
                throw HeadFileError(
                    "head version '\(file.version)' has labels \(file.labels), but this stage classifies into "
                        + "\(labels.sorted()); a new head must keep the label set (change the labels in the workflow file instead)"
                )
            }
        }
    }

    /// Parses and validates a head record's bytes.
    public func load(_ bytes: [UInt8]) throws(HeadFileError) -> HeadFile {
        let root: JSONValue
        do { root = try JSONValue.parse(bytes) } catch {
            throw HeadFileError("not valid JSON, the head record is corrupt or truncated (\(error.description))")
        }
        let file = try HeadFile.parse(root)
        try validate(file)
        return file
    }

    /// The column of each of `labels` in `file`'s output.
    static func columns(of labels: [String], in file: HeadFile) -> [Int] {
        labels.map { file.labels.firstIndex(of: $0) ?? 0 }
    }
}
