import Foundation
import SluiceML
import XCTest

/// The heads' backward pass (`gradient(flat:rows:labels:weights:)`, the one `HeadTrainer`
/// steps on) against central finite differences of the loss, the loss computed here
/// in Double from the same parameters, so the differences are accurate to ~1e-10.
final class HeadGradientCheckTests: XCTestCase {
    /// A tiny batch: 4 rows of 5 inputs, 3 classes, unequal row weights.
    struct Batch {
        let x: [Float], rows: Int, inputs: Int, labels: [Int], weights: [Float]
        init(seed: UInt64, rows: Int = 4, inputs: Int = 5, classes: Int = 3) {
            var rng = SplitMix64(seed: seed)
            self.rows = rows
            self.inputs = inputs
            x = (0..<rows * inputs).map { _ in rng.nextGaussian() }
            labels = (0..<rows).map { _ in Int(rng.next() % UInt64(classes)) }
            weights = (0..<rows).map { _ in 0.5 + rng.nextUnitFloat() }
        }
    }

    /// One dense layer in Double: y[B×O] = x[B×I] · W[I×O] + b.
    static func linear(_ x: [Double], rows: Int, _ w: [Double], _ b: [Double]) -> [Double] {
        let inputs = x.count / rows
        let outputs = b.count
        var y = [Double](repeating: 0, count: rows * outputs)
        for r in 0..<rows {
            for o in 0..<outputs {
                var s = b[o]
                for i in 0..<inputs { s += x[r * inputs + i] * w[i * outputs + o] }
                y[r * outputs + o] = s
            }
        }
        return y
    }

    /// Weighted mean cross-entropy of softmax(logits) in Double.
    static func loss(logits: [Double], batch: Batch) -> Double {
        let classes = logits.count / batch.rows
        var total = 0.0
        var weightSum = 0.0
        for r in 0..<batch.rows {
            let row = logits[r * classes..<(r + 1) * classes]
            let m = row.max()!
            let logSum = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
            total += Double(batch.weights[r]) * (logSum - row[r * classes + batch.labels[r]])
            weightSum += Double(batch.weights[r])
        }
        return total / weightSum
    }

    /// GELU in its tanh form, as the heads use it.
    static func gelu(_ v: Double) -> Double {
        0.5 * v * (1 + tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v)))
    }

    /// Parameter tensors of a head (weights then biases per layer) and the loss as a function of them.
    typealias Loss = ([[Double]]) -> Double

    /// For each tensor: relative error ||analytic - numeric|| / ||numeric|| of central differences.
    func relativeErrors(params: [[Float]], analytic: [[Float]], loss: Loss) -> [Double] {
        let h = 1e-5
        var p = params.map { $0.map(Double.init) }
        return params.indices.map { t in
            var diff = 0.0
            var norm = 0.0
            for i in params[t].indices {
                let saved = p[t][i]
                p[t][i] = saved + h
                let up = loss(p)
                p[t][i] = saved - h
                let down = loss(p)
                p[t][i] = saved
                let numeric = (up - down) / (2 * h)
                diff += (Double(analytic[t][i]) - numeric) * (Double(analytic[t][i]) - numeric)
                norm += numeric * numeric
            }
            return diff.squareRoot() / max(norm.squareRoot(), 1e-12)
        }
    }

    /// Gaussian parameters, so no gradient is zero by construction (zero biases would hide bias errors).
    func randomTensor(_ count: Int, _ rng: inout SplitMix64) -> [Float] {
        (0..<count).map { _ in 0.8 * rng.nextGaussian() }
    }

    func checkMLP(activation: Activation, seed: UInt64) {
        let batch = Batch(seed: seed)
        let hidden = 7
        let classes = 3
        var rng = SplitMix64(seed: seed &+ 1)
        let head = MLPHead(
            hiddenWeight: randomTensor(batch.inputs * hidden, &rng), hiddenBias: randomTensor(hidden, &rng),
            outputWeight: randomTensor(hidden * classes, &rng), outputBias: randomTensor(classes, &rng),
            activation: activation)
        let x = batch.x.map(Double.init)
        let loss: Loss = { p in
            let pre = Self.linear(x, rows: batch.rows, p[0], p[1])
            let h = pre.map { activation == .relu ? max(0, $0) : Self.gelu($0) }
            return Self.loss(logits: Self.linear(h, rows: batch.rows, p[2], p[3]), batch: batch)
        }
        let params = [head.hiddenWeight, head.hiddenBias, head.outputWeight, head.outputBias]
        let g = head.gradient(flat: batch.x, rows: batch.rows, labels: batch.labels, weights: batch.weights)
        XCTAssertEqual(Double(g.loss), loss(params.map { $0.map(Double.init) }), accuracy: 1e-5, "\(activation) loss")
        let analytic = [g.weights[0], g.biases[0], g.weights[1], g.biases[1]]
        XCTAssertEqual(analytic.map(\.count), params.map(\.count), "gradient shapes")
        let errors = relativeErrors(params: params, analytic: analytic, loss: loss)
        for (name, error) in zip(["hidden weight", "hidden bias", "output weight", "output bias"], errors) {
            XCTAssertLessThan(error, 1e-4, "\(activation) MLP \(name): relative error")
        }
    }

    func testMLPWithGELUMatchesFiniteDifferences() { checkMLP(activation: .gelu, seed: 31) }

    func testMLPWithReLUMatchesFiniteDifferences() { checkMLP(activation: .relu, seed: 32) }

    func testSoftmaxRegressionMatchesFiniteDifferences() {
        let batch = Batch(seed: 33)
        let classes = 3
        var rng = SplitMix64(seed: 34)
        let head = SoftmaxRegressionHead(
            weight: randomTensor(batch.inputs * classes, &rng), bias: randomTensor(classes, &rng))
        let x = batch.x.map(Double.init)
        let loss: Loss = { p in Self.loss(logits: Self.linear(x, rows: batch.rows, p[0], p[1]), batch: batch) }
        let params = [head.weight, head.bias]
        let g = head.gradient(flat: batch.x, rows: batch.rows, labels: batch.labels, weights: batch.weights)
        XCTAssertEqual(Double(g.loss), loss(params.map { $0.map(Double.init) }), accuracy: 1e-5, "loss")
        let errors = relativeErrors(params: params, analytic: [g.weights[0], g.biases[0]], loss: loss)
        XCTAssertLessThan(errors[0], 1e-4, "softmax weight: relative error")
        XCTAssertLessThan(errors[1], 1e-4, "softmax bias: relative error")
    }

    func testUnweightedEqualsUnitWeights() {
        // weights: nil means every row counts once.
        let batch = Batch(seed: 35)
        let classes = 3
        var rng = SplitMix64(seed: 36)
        let head = SoftmaxRegressionHead(
            weight: randomTensor(batch.inputs * classes, &rng), bias: randomTensor(classes, &rng))
        let none = head.gradient(flat: batch.x, rows: batch.rows, labels: batch.labels)
        let ones = head.gradient(
            flat: batch.x, rows: batch.rows, labels: batch.labels,
            weights: [Float](repeating: 1, count: batch.rows))
        XCTAssertEqual(none, ones)
    }
}
