/// Trains a head with mini-batch AdamW and early stopping on a validation split.
/// Deterministic: the seed fixes initialisation, shuffling and dropout.
public enum HeadTrainer {
    /// What happened during training, for the head file and the console.
    public struct Report: Sendable {
        public var epochsRun: Int
        public var bestEpoch: Int
        public var bestValidationMacroF1: Double
        public var trainLoss: [Float]
        public var validationMacroF1: [Double]
    }

    /// Trains on `train` (labels in 0..<classCount; optional per-row weights) and returns
    /// the head from the epoch with the best validation macro-F1.
    public static func train(
        train: some FeatureRows, labels: [Int], sampleWeights: [Float]? = nil,
        validation: some FeatureRows, validationLabels: [Int],
        classCount: Int, settings: TrainingSettings,
        log: (String) -> Void = { _ in }
    ) -> (head: any ClassificationHead, report: Report) {
        precondition(labels.count == train.count && validationLabels.count == validation.count)
        precondition(train.dimension == validation.dimension)
        var rng = SplitMix64(seed: settings.seed)
        var network = initialNetwork(dimension: train.dimension, classCount: classCount, settings: settings, rng: &rng)
        var optimiser = AdamW(
            for: network.layers, learningRate: settings.learningRate, weightDecay: settings.weightDecay)
        let weights = rowWeights(
            labels: labels, sampleWeights: sampleWeights, classCount: classCount, balance: settings.balanceClasses)

        var best = (network: network, macroF1: -1.0, epoch: 0)
        var report = Report(epochsRun: 0, bestEpoch: 0, bestValidationMacroF1: 0, trainLoss: [], validationMacroF1: [])
        var order = Array(0..<train.count)
        var batch = [Float]()
        for epoch in 1...max(1, settings.maxEpochs) {
            rng.shuffle(&order)
            var lossSum: Float = 0
            var batches = 0
            var start = 0
            while start < order.count {
                let rows = Array(order[start..<min(start + settings.batchSize, order.count)])
                start += settings.batchSize
                train.fill(rows: rows, into: &batch)
                var dropRng: SplitMix64? = settings.dropout > 0 ? SplitMix64(seed: rng.next()) : nil
                let (loss, gradients) = network.lossAndGradients(
                    batch, rows: rows.count, labels: rows.map { labels[$0] }, weights: rows.map { weights[$0] },
                    dropout: settings.dropout, rng: &dropRng)
                optimiser.update(&network.layers, gradients: gradients)
                lossSum += loss
                batches += 1
            }
            let f1 = evaluate(network, on: validation, labels: validationLabels, classCount: classCount).macroF1
            report.epochsRun = epoch
            report.trainLoss.append(lossSum / Float(max(batches, 1)))
            report.validationMacroF1.append(f1)
            log("epoch \(epoch): train loss \(report.trainLoss.last!), validation macro-F1 \(f1)")
            if f1 > best.macroF1 {
                best = (network, f1, epoch)
            } else if epoch - best.epoch >= settings.patience {
                break
            }
        }
        report.bestEpoch = best.epoch
        report.bestValidationMacroF1 = best.macroF1
        return (makeHead(best.network), report)
    }

    static func initialNetwork(
        dimension: Int, classCount: Int, settings: TrainingSettings, rng: inout SplitMix64
    ) -> HeadNetwork {
        switch settings.kind {
        case .softmax:
            return SoftmaxRegressionHead(inputDimension: dimension, classCount: classCount, seed: rng.next()).network
        case .mlp:
            return MLPHead(
                inputDimension: dimension, hiddenSize: settings.hiddenSize, classCount: classCount,
                activation: settings.activation, seed: rng.next()
            ).network
        }
    }

    static func makeHead(_ network: HeadNetwork) -> any ClassificationHead {
        network.layers.count == 1 ? SoftmaxRegressionHead(network: network) : MLPHead(network: network)
    }

    /// Per-row loss weights: the sample weight (default 1) times the class weight.
    static func rowWeights(labels: [Int], sampleWeights: [Float]?, classCount: Int, balance: Bool) -> [Float] {
        var classWeight = [Float](repeating: 1, count: classCount)
        if balance {
            var counts = [Int](repeating: 0, count: classCount)
            for l in labels { counts[l] += 1 }
            for c in 0..<classCount where counts[c] > 0 {
                classWeight[c] = Float(labels.count) / Float(classCount * counts[c])
            }
        }
        return labels.indices.map { (sampleWeights?[$0] ?? 1) * classWeight[labels[$0]] }
    }

    static func evaluate(
        _ network: HeadNetwork, on rows: some FeatureRows, labels: [Int], classCount: Int
    ) -> ClassificationMetrics {
        let probs = makeHead(network).predict(rows: rows)
        return ClassificationMetrics(probabilities: probs, actual: labels, classCount: classCount)
    }
}
