import ArgumentParser
import Foundation
import SluiceML
import SluicePipeline
import SluiceWorkerMain

/// `sluice train sentiment|classifier`: fit a head on sentence embeddings.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a classification head on sentence embeddings.",
        subcommands: [TrainSentiment.self, TrainClassifier.self])
}

/// `--deploy --workflow FILE --stage NAME`: announce the trained head (see `sluice deploy`).
struct TrainDeployOptions: ParsableArguments {
    @Flag(help: "After training, announce the head to --stage of --workflow (as `sluice deploy` does).") var deploy =
        false
    @Option(help: "With --deploy: the workflow file.") var workflow: String?
    @Option(help: "With --deploy: the stage to announce the head to.") var stage: String?
    @Option(help: "With --deploy: start it as a canary on this fraction of events.") var canary: Double?
    @OptionGroup var broker: BrokerOptions

    func validate() throws {
        guard deploy else {
            if workflow != nil || stage != nil || canary != nil {
                throw ValidationError("--workflow, --stage and --canary go with --deploy")
            }
            return
        }
        guard workflow != nil, stage != nil else {
            throw ValidationError("--deploy needs --workflow FILE and --stage NAME (the stage that runs the head)")
        }
        if let canary, !(canary > 0 && canary < 1) {
            throw ValidationError("--canary must be a fraction between 0 and 1, e.g. 0.1 for a tenth of the events")
        }
    }

    /// Checks the target before hours of training are spent; nil without --deploy.
    func rollout(model: String?) throws -> ModelRollout? {
        guard deploy, let workflow, let stage else { return nil }
        return try makeRollout(workflow: workflow, stage: stage, model: model, broker: broker)
    }

    func announce(_ path: String, rollout: ModelRollout?) throws {
        guard let rollout else { return }
        try announceHead(rollout: { rollout }, path: path, canary: canary, version: nil)
    }
}

/// Options shared by every training subcommand.
struct HeadTrainingOptions: ParsableArguments {
    @Option(help: "Model directory (default: .deps/model).") var model: String?
    @Option(help: "Embedding cache directory (default: .deps/cache).") var cache: String?
    @Option(help: "Head kind: mlp or softmax.") var kind: String = "mlp"
    @Option(help: "Hidden units of the MLP head.") var hidden: Int = 256
    @Option(help: "Hidden activation: gelu or relu.") var activation: String = "gelu"
    @Option(help: "AdamW learning rate.") var lr: Float = 1e-3
    @Option(name: .customLong("weight-decay"), help: "AdamW decoupled weight decay.") var weightDecay: Float = 1e-2
    @Option(help: "Dropout on the hidden layer.") var dropout: Float = 0.3
    @Option(name: .customLong("batch-size"), help: "Mini-batch size.") var batchSize: Int = 64
    @Option(help: "Maximum epochs.") var epochs: Int = 60
    @Option(help: "Early-stopping patience (epochs without a better validation macro-F1).") var patience: Int = 8
    @Flag(help: "Weight classes by inverse frequency.") var balance = false
    @Flag(name: .customLong("confidence-weight"), help: "Weight training rows by their confidence column.")
    var confidenceWeight = false
    @Option(name: .customLong("min-confidence"), help: "Drop training rows below this confidence.") var minConfidence:
        Float = 0
    @Option(help: "Seed of initialisation, shuffling and dropout.") var seed: UInt64 = 42
    @Option(help: "Use only this many texts (a quick run).") var subset: Int?
    @Flag(name: .customLong("no-baselines"), help: "Skip the softmax, bag-of-words and majority baselines.")
    var noBaselines = false
    @Flag(help: "Tuning run: score the validation split only (test stays unseen) and write no head.") var tune = false
    @Option(
        name: .customLong("head-version"), help: "Version string written into the head file (default: today's date).")
    var headVersion: String?
    @Option(help: "Where to write the head file.") var out: String?

    func trainingOptions() throws -> ClassifierTraining.Options {
        guard let kind = HeadKind(rawValue: kind) else { throw ValidationError("--kind must be mlp or softmax") }
        guard let activation = Activation(rawValue: activation) else {
            throw ValidationError("--activation must be gelu or relu")
        }
        var options = ClassifierTraining.Options()
        options.head.kind = kind
        options.head.hiddenSize = kind == .mlp ? hidden : 0
        options.head.activation = activation
        options.head.learningRate = lr
        options.head.weightDecay = weightDecay
        options.head.dropout = dropout
        options.head.batchSize = batchSize
        options.head.maxEpochs = epochs
        options.head.patience = patience
        options.head.balanceClasses = balance
        options.head.seed = seed
        options.baseline.seed = seed
        options.baseline.balanceClasses = balance
        options.baseline.maxEpochs = epochs
        options.baseline.patience = patience
        options.confidenceWeights = confidenceWeight
        options.minConfidence = minConfidence
        options.runBaselines = !noBaselines
        options.scoreTest = !tune
        return options
    }

    var version: String {
        if let headVersion { return headVersion }
        let f = DateFormatter()
        f.dateFormat = "yyyy.MM.dd"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date())
    }

    func cacheDirectory() -> String {
        if let cache { return cache }
        if let corpus = TweetCorpus.defaultPath() {  // .../.deps/corpus/tweets.csv → .../.deps/cache
            return URL(fileURLWithPath: corpus).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("cache").path
        }
        return ".deps/cache"
    }

    /// Embeds, trains, prints the table and writes the head file; with --deploy, announces it.
    func run(dataset: LabelledDataset, corpusSHA256: String, defaultOut: String, deploy: TrainDeployOptions) throws {
        if deploy.deploy && tune { throw ValidationError("--tune writes no head, so there is nothing to --deploy") }
        let rollout = try deploy.rollout(model: model)
        let embedder = try loadEmbedder(model)
        let cache = try EmbeddingCache(
            directory: cacheDirectory(), modelID: embedder.modelID, corpusSHA256: corpusSHA256,
            dimension: embedder.dimension)
        stderr("embedding cache: \(cache.path) (\(cache.count) cached)")
        let outcome = try ClassifierTraining.run(
            dataset: dataset, embedder: embedder, cache: cache, options: try trainingOptions(), version: version,
            corpusSHA256: corpusSHA256, log: { stderr($0) }, embeddingProgress: ProgressBar.embedding("embedding"))
        print(outcome.formattedTable())
        if tune { return }
        let path = out ?? defaultOut
        try outcome.headFile.save(to: path)
        print("wrote \(path) (model \(embedder.modelID), version \(outcome.headFile.version))")
        try deploy.announce(path, rollout: rollout)
    }
}

struct TrainSentiment: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sentiment",
        abstract: "Train the negative/neutral/positive head on the labelled tweets, next to baselines.")

    @Option(help: "Corpus CSV (sentiment,confidence,text; default: .deps/corpus/tweets.csv).") var corpus: String?
    @OptionGroup var options: HeadTrainingOptions
    @OptionGroup var deploy: TrainDeployOptions

    func run() throws {
        guard let path = corpus ?? TweetCorpus.defaultPath() else {
            throw ValidationError("tweet corpus not found; run `make setup` or pass --corpus")
        }
        let (rows, replaced) = try TweetCorpus.load(path: path)
        let sha = ContentDigest.sha256Hex([UInt8](FileManager.default.contents(atPath: path) ?? Data()))
        let dataset = try LabelledDataset(
            rows: rows.map { ($0.text, $0.label, Float($0.confidence)) }, labels: SentimentScorer.labels,
            subset: options.subset)
        stderr(
            "corpus: \(path), \(rows.count) rows, \(replaced) mis-encoded bytes replaced, \(dataset.duplicates) duplicates dropped (\(dataset.conflicts) with conflicting labels), sha256 \(sha.prefix(16))"
        )
        try options.run(dataset: dataset, corpusSHA256: sha, defaultOut: "models/sentiment-head.json", deploy: deploy)
    }
}

struct TrainClassifier: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classifier",
        abstract: "Train a head on a CSV with columns text,label (labels sorted by name).")

    @Option(help: "Training CSV with columns text,label.") var csv: String
    @OptionGroup var options: HeadTrainingOptions
    @OptionGroup var deploy: TrainDeployOptions

    func run() throws {
        let rows = try TextLabelCSV.load(csv)
        let labels = Array(Set(rows.map(\.label))).sorted()
        guard labels.count >= 2 else { throw ValidationError("\(csv): need at least two labels, found \(labels)") }
        let sha = ContentDigest.sha256Hex([UInt8](FileManager.default.contents(atPath: csv) ?? Data()))
        let dataset = try LabelledDataset(
            rows: rows.map { ($0.text, $0.label, 1) }, labels: labels, subset: options.subset)
        stderr("\(csv): \(rows.count) rows, labels \(labels), \(dataset.duplicates) duplicates dropped")
        try options.run(dataset: dataset, corpusSHA256: sha, defaultOut: "models/classifier-head.json", deploy: deploy)
    }
}

func stderr(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// The MiniLM encoder from `--model DIR` or its default location.
func loadEmbedder(_ directory: String?) throws -> any SentenceEmbedder {
    try MiniLMEncoder(modelDirectory: directory, options: .fromEnvironment())
}
