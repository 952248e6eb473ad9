import ArgumentParser
import SluiceML
import SluicePipeline
import SluiceWorkflow

/// A workflow's classify stage as a classifier of texts, built as its worker builds it:
/// the stage's labels (or head), over embeddings in the precision of the embed stage
/// upstream of it. `sluice classify --workflow` and `sluice eval topics` share it.
enum StageClassifier {
    static func load(workflow path: String, stage name: String, model: String?) throws -> any TextClassifier {
        let workflow = try Workflow.load(path: path)
        guard let index = workflow.stages.firstIndex(where: { $0.name == name }) else {
            let names = workflow.stages.map(\.name).joined(separator: ", ")
            throw ValidationError("no stage '\(name)' in \(path); its stages are: \(names)")
        }
        let spec = workflow.stages[index]
        guard spec.task == .classify else {
            let classify = workflow.stages.filter { $0.task == .classify }.map(\.name).joined(separator: ", ")
            throw ValidationError(
                "stage '\(name)' runs \(spec.task), not classify; classify stages in \(path): \(classify.isEmpty ? "none" : classify)"
            )
        }
        let embed = workflow.stages[..<index].last { $0.task == .embed }
        var options = EncoderOptions.fromEnvironment()
        options.precision = try Precision.parse(embed?.precision ?? "fp32")
        let encoder = try MiniLMEncoder(modelDirectory: model, options: options)
        if let head = spec.head { return try HeadClassifier(embedder: encoder, headPath: workflow.resolve(head)) }
        return try StageFactory.zeroShotClassifier(spec, encoder: encoder)
    }
}
