import SluiceML
import SluiceWorkflow

/// Builds the step a stage runs from its declaration, loading the encoder and
/// heads it needs, and refusing heads built for another encoder. `encoderOptions`
/// tune the encoder (the CLI builds them; the defaults are the tuned ones); an embed
/// stage's own `precision` (from the workflow file, or `sluice worker --precision`) applies.
public enum StageFactory {
    public static func make(
        _ spec: StageSpec, workflow: Workflow, modelDirectory: String? = nil,
        encoderOptions: EncoderOptions = EncoderOptions()
    ) throws -> any Stage {
        func loadEncoder() throws -> MiniLMEncoder {
            var options = encoderOptions
            if spec.task == .embed {
                options.precision = try spec.precision.map { try Precision.parse($0) } ?? .fp32
            }
            return try MiniLMEncoder(modelDirectory: modelDirectory, options: options)
        }
        switch spec.task {
        case .passthrough:
            return PassthroughStage(costPerRecord: spec.costMs / 1000)
        case .embed:
            return EmbedStage(embedder: try loadEncoder())
        case .classify:
            let encoder = try loadEncoder()
            if let head = spec.head {
                return ClassifyStage(head: try HeadFile.load(workflow.resolve(head), for: encoder))
            }
            return ClassifyStage(zeroShot: try zeroShotClassifier(spec, encoder: encoder))
        case .sentiment:
            guard let head = spec.head else {
                throw PipelineError(
                    "stage '\(spec.name)': task 'sentiment' needs 'head' (e.g. models/sentiment-head.json)")
            }
            let encoder = try loadEncoder()
            let file = try HeadFile.load(workflow.resolve(head), for: encoder)
            return SentimentStage(scorer: try SentimentScorer(embedder: encoder, headFile: file))
        default:
            // A task from a stage package: only its catalog (`StageCatalog`) knows how to build it.
            throw PipelineError(
                "stage '\(spec.name)': task '\(spec.task.rawValue)' is not built in; run it with the worker "
                    + "of the package that registers it")
        }
    }

    /// A classify stage's zero-shot classifier from its labels, as its worker builds it (and
    /// `sluice classify --workflow` and `sluice eval topics`, so all three agree).
    public static func zeroShotClassifier(_ spec: StageSpec, encoder: any SentenceEmbedder) throws
        -> ZeroShotClassifier
    {
        let labels = spec.labels.map { LabelSpec(name: $0.name, descriptions: $0.descriptions, examples: $0.examples) }
        return try ZeroShotClassifier(
            embedder: encoder, labels: labels, temperature: Float(spec.temperature),
            otherBelow: spec.otherBelow.map(Float.init))
    }

    /// For `sluice workflow check`: every head loads, fits the encoder's model and
    /// dimension, and a sentiment head has the three sentiment labels.
    public static func checkModels(of workflow: Workflow, modelDirectory: String? = nil) throws {
        let heads = workflow.stages.filter { $0.head != nil }
        guard !heads.isEmpty else { return }
        let encoder = try MiniLMEncoder(modelDirectory: modelDirectory)
        for stage in heads {
            let path = workflow.resolve(stage.head!)
            let file: HeadFile
            do {
                file = try HeadFile.load(path, for: encoder)
            } catch {
                throw PipelineError("stage '\(stage.name)' (line \(stage.line)): \(error)")
            }
            if file.head.inputDimension != encoder.dimension {
                throw PipelineError(
                    "stage '\(stage.name)' (line \(stage.line)): head \(path) expects \(file.head.inputDimension)-d "
                        + "embeddings, the embed stage makes \(encoder.dimension)-d ones")
            }
            if stage.task == .sentiment && Set(file.labels) != Set(SentimentScorer.labels) {
                throw PipelineError(
                    "stage '\(stage.name)' (line \(stage.line)): head \(path) has labels \(file.labels), "
                        + "a sentiment head needs \(SentimentScorer.labels)")
            }
        }
    }
}

public struct PipelineError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
