/// A head's training loss on one batch and its gradient with respect to every
/// parameter, computed as `HeadTrainer` computes them for a step (without dropout).
/// For checking the backward pass, or for training a head by other means.
public struct HeadGradient: Sendable, Equatable {
    /// Weighted mean cross-entropy of the head's probabilities against the labels.
    public var loss: Float
    /// Per linear layer, input side first: d loss / d weight, [I×O] row-major like the head's own.
    public var weights: [[Float]]
    /// Per linear layer: d loss / d bias, [O].
    public var biases: [[Float]]
}

extension HeadNetwork {
    /// The trainer's step on one batch: forward (with dropout when `rng` is given), weighted
    /// cross-entropy against `labels`, backward. weights: one per row.
    func lossAndGradients(
        _ x: [Float], rows: Int, labels: [Int], weights: [Float], dropout: Float = 0, rng: inout SplitMix64?
    ) -> (loss: Float, gradients: [LinearLayer]) {
        let trace = forward(x, rows: rows, dropout: dropout, rng: &rng)
        let (loss, dLogits) = crossEntropy(trace.probs, labels: labels, weights: weights, classes: classCount)
        return (loss, backward(trace, dLogits: dLogits, rows: rows))
    }

    /// `lossAndGradients` without dropout, as a public value; weights nil: every row counts once.
    func gradient(flat x: [Float], rows: Int, labels: [Int], weights: [Float]?) -> HeadGradient {
        precondition(x.count == rows * inputDimension && labels.count == rows, "batch shape mismatch")
        precondition(labels.allSatisfy { (0..<classCount).contains($0) }, "label out of range")
        var none: SplitMix64? = nil
        let (loss, gradients) = lossAndGradients(
            x, rows: rows, labels: labels, weights: weights ?? [Float](repeating: 1, count: rows), rng: &none)
        return HeadGradient(loss: loss, weights: gradients.map(\.weight), biases: gradients.map(\.bias))
    }
}

extension MLPHead {
    /// Loss and gradient on a batch x[rows × inputDimension]: layer 0 is the hidden layer, 1 the output.
    public func gradient(flat x: [Float], rows: Int, labels: [Int], weights: [Float]? = nil) -> HeadGradient {
        network.gradient(flat: x, rows: rows, labels: labels, weights: weights)
    }
}

extension SoftmaxRegressionHead {
    /// Loss and gradient on a batch x[rows × inputDimension]: one layer.
    public func gradient(flat x: [Float], rows: Int, labels: [Int], weights: [Float]? = nil) -> HeadGradient {
        network.gradient(flat: x, rows: rows, labels: labels, weights: weights)
    }
}
