import Foundation
import SluiceJSON

/// The whole supervised run shared by `sluice train sentiment` and `train classifier`:
/// embed every split (through the cache), train the head, and score it on the test split
/// next to three baselines: softmax regression on the same embeddings, bag-of-words
/// TF-IDF logistic regression, and the majority class. Hyperparameters are chosen on the
/// validation split only; the test split is touched once, here, for the table.
public enum ClassifierTraining {
    public struct Options: Sendable {
        public var head = TrainingSettings()
        public var baseline = TrainingSettings.softmax()
        public var bowMinCount = 2
        public var bowVocabulary = 10_000
        /// Multiply each training row's loss by its annotator confidence.
        public var confidenceWeights = false
        /// Drop training rows below this confidence (validation and test keep all rows).
        public var minConfidence: Float = 0
        public var embedBatch = 64
        public var runBaselines = true
        /// False while tuning: score the validation split instead and never look at test.
        public var scoreTest = true
        public init() {}
    }

    public struct Outcome: Sendable {
        public var headFile: HeadFile
        public var report: HeadTrainer.Report
        /// ("mlp" | "softmax", metrics) for the trained head first, then the baselines.
        public var table: [(name: String, metrics: ClassificationMetrics)]
        public var labels: [String]
        /// "test", or "validation" when tuning.
        public var split: String

        /// Accuracy, macro-F1 and confusion for every row of `table`, as plain text.
        public func formattedTable() -> String {
            var lines = [
                "split: \(split) (\(table.first?.metrics.count ?? 0) texts); confusion rows = true label, columns = predicted (\(labels.joined(separator: ", ")))"
            ]
            lines.append(pad("model", 30) + pad("accuracy", 10) + pad("macro-F1", 10) + "confusion")
            for row in table {
                lines.append(
                    pad(row.name, 30) + pad(String(format: "%.4f", row.metrics.accuracy), 10)
                        + pad(String(format: "%.4f", row.metrics.macroF1), 10)
                        + row.metrics.confusion.map { "[" + $0.map(String.init).joined(separator: " ") + "]" }.joined(
                            separator: " "))
            }
            return lines.joined(separator: "\n")
        }

        private func pad(_ s: String, _ n: Int) -> String {
            s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
        }
    }

    /// A Float as the Double with the same short decimal form (1e-3, not 0.0010000000474974513).
    static func decimal(_ value: Float) -> Double { Double("\(value)") ?? Double(value) }

    public static func run(
        dataset: LabelledDataset, embedder: any SentenceEmbedder, cache: EmbeddingCache?,
        options: Options, version: String, corpusSHA256: String, log: (String) -> Void = { _ in },
        embeddingProgress: ((EmbeddingProgress) -> Void)? = nil
    ) throws -> Outcome {
        let classes = dataset.labels.count
        let train = dataset.train.filter { $0.confidence >= options.minConfidence }
        log(
            "examples: train \(train.count) (of \(dataset.train.count)), validation \(dataset.validation.count), test \(dataset.test.count)"
        )

        let all =
            train.map(\.text) + dataset.validation.map(\.text) + (options.scoreTest ? dataset.test.map(\.text) : [])
        let vectors = try CachedEmbedding.embed(
            all, with: embedder, cache: cache, batchSize: options.embedBatch, progress: embeddingProgress)
        let dim = embedder.dimension
        let xTrain = DenseRows(Array(vectors[0..<train.count]), dimension: dim)
        let xVal = DenseRows(Array(vectors[train.count..<train.count + dataset.validation.count]), dimension: dim)
        let xTest =
            options.scoreTest
            ? DenseRows(Array(vectors[(train.count + dataset.validation.count)...]), dimension: dim) : xVal
        let yTrain = train.map(\.label)
        let yVal = dataset.validation.map(\.label)
        // While tuning, the "test" columns below are the validation split: test stays unseen.
        let evalExamples = options.scoreTest ? dataset.test : dataset.validation
        let yTest = evalExamples.map(\.label)
        let weights = options.confidenceWeights ? train.map { max($0.confidence, 0.05) } : nil

        func fit(_ settings: TrainingSettings, _ x: some FeatureRows, _ xv: some FeatureRows, _ name: String)
            -> (head: any ClassificationHead, report: HeadTrainer.Report)
        {
            let t0 = Date()
            let result = HeadTrainer.train(
                train: x, labels: yTrain, sampleWeights: weights, validation: xv, validationLabels: yVal,
                classCount: classes, settings: settings)
            log(
                String(
                    format: "%@: best epoch %d of %d, validation macro-F1 %.4f (%.1fs)", name,
                    result.report.bestEpoch, result.report.epochsRun, result.report.bestValidationMacroF1,
                    Date().timeIntervalSince(t0)))
            return result
        }

        let settings = options.head
        let (head, report) = fit(settings, xTrain, xVal, settings.kind.rawValue)
        let headMetrics = ClassificationMetrics(
            probabilities: head.predict(rows: xTest), actual: yTest, classCount: classes)
        var table: [(name: String, metrics: ClassificationMetrics)] = [
            (
                settings.kind == .mlp
                    ? "MLP head (\(settings.hiddenSize) \(settings.activation.rawValue))" : "softmax head", headMetrics
            )
        ]

        if options.runBaselines {
            if settings.kind == .mlp {
                let (soft, _) = fit(options.baseline, xTrain, xVal, "softmax on embeddings")
                table.append(
                    (
                        "softmax on embeddings",
                        ClassificationMetrics(
                            probabilities: soft.predict(rows: xTest), actual: yTest, classCount: classes)
                    ))
            }
            let bow = BagOfWords(
                fitting: train.map(\.text), minCount: options.bowMinCount, maxVocabulary: options.bowVocabulary)
            let (bowHead, _) = fit(
                options.baseline, bow.features(train.map(\.text)), bow.features(dataset.validation.map(\.text)),
                "bag-of-words TF-IDF LR")
            table.append(
                (
                    "BoW TF-IDF LR (\(bow.dimension) words)",
                    ClassificationMetrics(
                        probabilities: bowHead.predict(rows: bow.features(evalExamples.map(\.text))), actual: yTest,
                        classCount: classes)
                ))
            var counts = [Int](repeating: 0, count: classes)
            for y in yTrain { counts[y] += 1 }
            let majority = argmax(counts.map(Float.init))
            table.append(
                (
                    "majority (\(dataset.labels[majority]))",
                    ClassificationMetrics(predicted: yTest.map { _ in majority }, actual: yTest, classCount: classes)
                ))
        }

        var training: [String: JSONValue] = [
            "optimizer": .string("adamw"),
            "learning_rate": .double(decimal(settings.learningRate)),
            "weight_decay": .double(decimal(settings.weightDecay)),
            "batch_size": .int(Int64(settings.batchSize)),
            "max_epochs": .int(Int64(settings.maxEpochs)),
            "patience": .int(Int64(settings.patience)),
            "dropout": .double(decimal(settings.dropout)),
            "balance_classes": .bool(settings.balanceClasses),
            "confidence_weights": .bool(options.confidenceWeights),
            "min_confidence": .double(decimal(options.minConfidence)),
            "seed": .string(String(settings.seed)),
            "epochs_run": .int(Int64(report.epochsRun)),
            "best_epoch": .int(Int64(report.bestEpoch)),
            "validation_macro_f1": .double(report.bestValidationMacroF1),
            "split": .string("dedup normalised text; per label sorted by FNV-1a 64; 80/10/10"),
            "counts": .object([
                "train": .int(Int64(train.count)), "validation": .int(Int64(dataset.validation.count)),
                "test": .int(Int64(dataset.test.count)), "duplicates_dropped": .int(Int64(dataset.duplicates)),
            ]),
        ]
        if table.count > 1 {
            training["baselines_test"] = .object(
                Dictionary(
                    uniqueKeysWithValues: table.dropFirst().map {
                        (
                            $0.name,
                            JSONValue.object([
                                "accuracy": .double($0.metrics.accuracy), "macro_f1": .double($0.metrics.macroF1),
                            ])
                        )
                    }))
        }
        let file = HeadFile(
            version: version, head: head, labels: dataset.labels, model: embedder.modelID, corpusSHA256: corpusSHA256,
            metrics: headMetrics, metricsSplit: options.scoreTest ? "test" : "validation", training: training)
        return Outcome(
            headFile: file, report: report, table: table, labels: dataset.labels,
            split: options.scoreTest ? "test" : "validation")
    }
}
