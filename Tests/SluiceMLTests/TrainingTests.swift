import SluiceML
import XCTest

/// Synthetic data: `classes` Gaussian blobs in `dimension` dims, separable by a margin.
func syntheticBlobs(count: Int, dimension: Int, classes: Int, seed: UInt64, spread: Float = 0.35) -> (
    rows: [[Float]], labels: [Int]
) {
    var rng = SplitMix64(seed: 7)
    let centres = (0..<classes).map { _ in (0..<dimension).map { _ in rng.nextGaussian() } }
    var data = SplitMix64(seed: seed)
    var rows: [[Float]] = []
    var labels: [Int] = []
    for i in 0..<count {
        let c = i % classes
        rows.append(centres[c].map { $0 + spread * data.nextGaussian() })
        labels.append(c)
    }
    return (rows, labels)
}

/// XOR-like data no linear model separates: label = sign(x0) xor sign(x1).
func xorData(count: Int, seed: UInt64) -> (rows: [[Float]], labels: [Int]) {
    var rng = SplitMix64(seed: seed)
    var rows: [[Float]] = []
    var labels: [Int] = []
    for _ in 0..<count {
        let x = (0..<8).map { _ in rng.nextUnitFloat() * 2 - 1 }
        rows.append(x)
        labels.append((x[0] > 0) != (x[1] > 0) ? 1 : 0)
    }
    return (rows, labels)
}

final class TrainingTests: XCTestCase {
    func testSoftmaxLearnsSeparableBlobs() {
        let train = syntheticBlobs(count: 900, dimension: 16, classes: 3, seed: 1)
        let val = syntheticBlobs(count: 300, dimension: 16, classes: 3, seed: 2)
        let test = syntheticBlobs(count: 300, dimension: 16, classes: 3, seed: 3)
        var settings = TrainingSettings.softmax(learningRate: 0.05)
        settings.maxEpochs = 20
        let (head, report) = HeadTrainer.train(
            train: DenseRows(train.rows, dimension: 16), labels: train.labels,
            validation: DenseRows(val.rows, dimension: 16), validationLabels: val.labels,
            classCount: 3, settings: settings)
        XCTAssertEqual(head.kind, .softmax)
        let metrics = ClassificationMetrics(probabilities: head.predict(test.rows), actual: test.labels, classCount: 3)
        XCTAssertGreaterThan(metrics.accuracy, 0.97)
        XCTAssertGreaterThanOrEqual(report.bestEpoch, 1)
    }

    func testMLPLearnsXORWhichSoftmaxCannot() {
        let train = xorData(count: 2000, seed: 1)
        let val = xorData(count: 500, seed: 2)
        let test = xorData(count: 500, seed: 3)
        func fit(_ settings: TrainingSettings) -> Double {
            let (head, _) = HeadTrainer.train(
                train: DenseRows(train.rows, dimension: 8), labels: train.labels,
                validation: DenseRows(val.rows, dimension: 8), validationLabels: val.labels,
                classCount: 2, settings: settings)
            return ClassificationMetrics(probabilities: head.predict(test.rows), actual: test.labels, classCount: 2)
                .accuracy
        }
        for activation in Activation.allCases {
            var mlp = TrainingSettings()
            mlp.hiddenSize = 32
            mlp.activation = activation
            mlp.learningRate = 0.01
            mlp.maxEpochs = 60
            mlp.patience = 10
            XCTAssertGreaterThan(fit(mlp), 0.9, "\(activation)")
        }
        XCTAssertLessThan(fit(TrainingSettings.softmax()), 0.7)
    }

    func testSameSeedGivesIdenticalWeightsAndOtherSeedDoesNot() throws {
        let train = syntheticBlobs(count: 600, dimension: 12, classes: 3, seed: 1, spread: 1.0)
        let val = syntheticBlobs(count: 150, dimension: 12, classes: 3, seed: 2, spread: 1.0)
        func fit(seed: UInt64) -> MLPHead {
            var s = TrainingSettings()
            s.hiddenSize = 16
            s.dropout = 0.1
            s.maxEpochs = 5
            s.seed = seed
            let (head, _) = HeadTrainer.train(
                train: DenseRows(train.rows, dimension: 12), labels: train.labels,
                validation: DenseRows(val.rows, dimension: 12), validationLabels: val.labels,
                classCount: 3, settings: s)
            return head as! MLPHead
        }
        let a = fit(seed: 9)
        let b = fit(seed: 9)
        let c = fit(seed: 10)
        XCTAssertEqual(a.hiddenWeight, b.hiddenWeight)
        XCTAssertEqual(a.outputWeight, b.outputWeight)
        XCTAssertEqual(a.outputBias, b.outputBias)
        XCTAssertNotEqual(a.hiddenWeight, c.hiddenWeight)
    }

    func testSparseRowsTrainLikeDenseRows() {
        let data = syntheticBlobs(count: 300, dimension: 10, classes: 2, seed: 4)
        let sparse = SparseRows(
            dimension: 10,
            rows: data.rows.map { row in row.enumerated().map { (column: Int32($0.offset), value: $0.element) } })
        var s = TrainingSettings.softmax()
        s.maxEpochs = 5
        let (dense, _) = HeadTrainer.train(
            train: DenseRows(data.rows, dimension: 10), labels: data.labels,
            validation: DenseRows(data.rows, dimension: 10), validationLabels: data.labels, classCount: 2, settings: s)
        let (fromSparse, _) = HeadTrainer.train(
            train: sparse, labels: data.labels, validation: sparse, validationLabels: data.labels, classCount: 2,
            settings: s)
        XCTAssertEqual((dense as! SoftmaxRegressionHead).weight, (fromSparse as! SoftmaxRegressionHead).weight)
    }

    func testMetrics() {
        let m = ClassificationMetrics(predicted: [0, 0, 1, 1, 2, 2], actual: [0, 1, 1, 1, 2, 0], classCount: 3)
        XCTAssertEqual(m.confusion, [[1, 0, 1], [1, 2, 0], [0, 0, 1]])
        XCTAssertEqual(m.accuracy, 4.0 / 6.0, accuracy: 1e-12)
        // F1: class0 2·1/(2+2)=0.5, class1 2·2/(2+3)=0.8, class2 2·1/(2+1)=0.667
        XCTAssertEqual(m.macroF1, (0.5 + 0.8 + 2.0 / 3.0) / 3, accuracy: 1e-12)
    }

    func testSHA256AndFNV() {
        XCTAssertEqual(
            ContentDigest.sha256Hex(Array("abc".utf8)),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(ContentDigest.sha256Hex([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(FNV1a.hash64("a"), 0xaf63_dc4c_8601_ec8c)
    }
}
