import ArgumentParser
import Foundation
import SluiceJSON
import SluiceML

/// Input lines: plain text, or a JSON object with a "text" field (other fields are kept).
struct ScoringInput: ParsableArguments {
    @Option(help: "Texts per embedding batch.") var batch: Int = 32
    @Option(help: "Model directory (default: .deps/model).") var model: String?

    /// Calls `handle` with batches of (input object, text) read from stdin, in order.
    func forEachBatch(_ handle: ([(object: [String: JSONValue], text: String)]) throws -> Void) throws {
        var pending: [(object: [String: JSONValue], text: String)] = []
        var lineNumber = 0
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("{") {
                let value: JSONValue
                do { value = try JSONValue.parse(trimmed) } catch {
                    throw ValidationError("stdin line \(lineNumber): not valid JSON (\(error.description))")
                }
                guard let object = value.objectValue, let text = value["text"]?.stringValue else {
                    throw ValidationError("stdin line \(lineNumber): a JSON line needs a string field \"text\"")
                }
                pending.append((object, text))
            } else {
                pending.append((["text": .string(line)], line))
            }
            if pending.count >= max(batch, 1) {
                try handle(pending)
                pending.removeAll()
            }
        }
        if !pending.isEmpty { try handle(pending) }
    }
}

/// A probability as JSON, rounded to 6 decimals (float32 carries no more).
func probability(_ p: Float) -> JSONValue { .double((Double(p) * 1e6).rounded() / 1e6) }

func writeLine(_ value: JSONValue) {
    FileHandle.standardOutput.write(Data((value.serialized() + "\n").utf8))
}

/// The first `relative` found walking up from the working directory.
func findUpwards(_ relative: String) -> String? {
    var dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    while true {
        let candidate = dir.appendingPathComponent(relative).path
        if FileManager.default.fileExists(atPath: candidate) { return candidate }
        let parent = dir.deletingLastPathComponent()
        if parent.path == dir.path { return nil }
        dir = parent
    }
}

struct SentimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sentiment",
        abstract:
            "Score texts on stdin (lines or JSON lines with \"text\"); writes JSON lines with sentiment probabilities and score = P(pos) - P(neg)."
    )

    @OptionGroup var input: ScoringInput
    @Option(help: "Head file (default: models/sentiment-head.json).") var head: String?

    func run() throws {
        guard let path = head ?? findUpwards("models/sentiment-head.json") else {
            throw ValidationError("no sentiment head: pass --head FILE or run `sluice train sentiment`")
        }
        let embedder = try loadEmbedder(input.model)
        let scorer = try SentimentScorer(embedder: embedder, headPath: path)
        try input.forEachBatch { items in
            let scores = try scorer.score(items.map(\.text))
            for (item, s) in zip(items, scores) {
                var object = item.object
                object["sentiment"] = .object([
                    "negative": probability(s.negative), "neutral": probability(s.neutral),
                    "positive": probability(s.positive), "score": probability(s.score),
                ])
                writeLine(.object(object))
            }
        }
    }
}

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Classify texts on stdin as a workflow's stage does (--workflow FILE --stage NAME), zero-shot (--labels FILE) or with a trained head (--head FILE); writes JSON lines with label and scores.",
        discussion: """
            --workflow and --stage classify exactly as that stage's worker would: its labels (with their \
            examples and other_below) or its head, over embeddings in the precision of the embed stage \
            before it. --labels FILE is for labels outside any workflow.
            """)

    @OptionGroup var input: ScoringInput
    @Option(help: "Zero-shot label file (JSON: labels with name and descriptions, temperature).") var labels: String?
    @Option(help: "Trained head file (from `sluice train classifier`), instead of --labels.") var head: String?
    @Option(help: "Override the label file's softmax temperature.") var temperature: Float?
    @Option(help: "A workflow file; with --stage, classify as that stage does.") var workflow: String?
    @Option(help: "The classify stage of --workflow to use.") var stage: String?

    func run() throws {
        let classifier: any TextClassifier
        switch (labels, head, workflow, stage) {
        case (nil, nil, let workflow?, let stage?):
            classifier = try StageClassifier.load(workflow: workflow, stage: stage, model: input.model)
        case (_, _, nil, let stage?):
            throw ValidationError("--stage \(stage) needs --workflow FILE")
        case (_, _, let workflow?, nil):
            throw ValidationError("--workflow \(workflow) needs --stage NAME (a classify stage of that file)")
        case (let labels?, nil, nil, nil):
            let embedder = try loadEmbedder(input.model)
            let set = try LabelSet.load(labels)
            classifier = try ZeroShotClassifier(
                embedder: embedder, labels: set.labels, temperature: temperature ?? set.temperature,
                otherBelow: set.otherBelow)
        case (nil, let head?, nil, nil):
            classifier = try HeadClassifier(embedder: try loadEmbedder(input.model), headPath: head)
        default:
            throw ValidationError("pass exactly one of --workflow FILE --stage NAME, --labels FILE or --head FILE")
        }
        let names = classifier.labels
        try input.forEachBatch { items in
            let distributions = try classifier.classify(items.map(\.text))
            for (item, p) in zip(items, distributions) {
                var object = item.object
                object["label"] = .string(names[argmax(p)])
                object["scores"] = .object(Dictionary(uniqueKeysWithValues: zip(names, p.map(probability))))
                writeLine(.object(object))
            }
        }
    }
}
