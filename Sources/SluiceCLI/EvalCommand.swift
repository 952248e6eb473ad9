import ArgumentParser
import Foundation
import SluiceML

/// `sluice eval topics`: a classify stage (or a label file) scored on a labelled CSV:
/// accuracy, each label's precision and recall, and the confusion matrix.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Score a model on labelled texts.", subcommands: [EvalTopics.self])
}

struct EvalTopics: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Score a classify stage on a text,label CSV: accuracy, per-label precision and recall, confusion.",
        discussion: """
            The stage is built as its worker builds it (labels with examples and other_below, or its head; \
            embeddings in the precision of the embed stage before it). A CSV label the stage cannot answer \
            counts as a miss and is named. Evaluation sets shipped: \
            Tests/SluiceMLTests/Fixtures/topics-real-posts.csv (real posts labelled by hand), \
            topics-airline-posts.csv (airline tweets, all travel), topics-eval.csv (posts written for the labels).

              sluice eval topics --workflow topics/sentiment-monitoring.yaml --stage topics \\
                --csv Tests/SluiceMLTests/Fixtures/topics-real-posts.csv
            """)

    @Option(help: "The workflow file.") var workflow: String?
    @Option(help: "The classify stage of --workflow.") var stage: String?
    @Option(help: "A label file instead of a workflow stage.") var labels: String?
    @Option(help: "The labelled texts: a CSV with columns text and label.") var csv: String
    @Option(help: "Model directory (default: .deps/model).") var model: String?
    @Option(help: "Print up to this many misclassified texts.") var misses = 0
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func run() throws {
        let classifier: any TextClassifier
        switch (workflow, stage, labels) {
        case (let workflow?, let stage?, nil):
            classifier = try StageClassifier.load(workflow: workflow, stage: stage, model: model)
        case (nil, nil, let labels?):
            let set = try LabelSet.load(labels)
            classifier = try ZeroShotClassifier(
                embedder: try loadEmbedder(model), labels: set.labels, temperature: set.temperature,
                otherBelow: set.otherBelow)
        default:
            throw ValidationError("pass --workflow FILE --stage NAME, or --labels FILE")
        }
        let rows = try TextLabelCSV.load(csv)
        guard !rows.isEmpty else { throw ValidationError("\(csv) has no rows") }
        let predicted = try classifier.classify(rows.map(\.text)).map { p in
            classifier.labels[p.indices.max { p[$0] < p[$1] }!]
        }
        let report = TopicEvaluation(gold: rows.map(\.label), predicted: predicted, labels: classifier.labels)
        if json {
            print(report.json().serialized())
        } else {
            print(report.text(source: csv))
            let wrong = zip(rows, predicted).filter { $0.0.label != $0.1 }.prefix(misses)
            for (row, guess) in wrong { print("miss: [\(row.label) -> \(guess)] \(row.text)") }
        }
    }
}
