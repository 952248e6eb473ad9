/// Multinomial logistic regression: probs = softmax(x·W + b).
public struct SoftmaxRegressionHead: ClassificationHead, Equatable {
    var network: HeadNetwork

    init(network: HeadNetwork) {
        precondition(network.layers.count == 1)
        self.network = network
    }

    /// Small random weights; `train` in `HeadTrainer` starts from here.
    public init(inputDimension: Int, classCount: Int, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let layer = LinearLayer.random(inputs: inputDimension, outputs: classCount, gain: 1, rng: &rng)
        network = HeadNetwork(layers: [layer], activation: .relu)
    }

    /// A head with the given parameters: weight[I×C] row-major, bias[C].
    public init(weight: [Float], bias: [Float]) {
        precondition(!bias.isEmpty && weight.count % bias.count == 0, "weight is not [I×C]")
        let layer = LinearLayer(inputs: weight.count / bias.count, outputs: bias.count, weight: weight, bias: bias)
        self.init(network: HeadNetwork(layers: [layer], activation: .relu))
    }

    public var kind: HeadKind { .softmax }
    public var inputDimension: Int { network.inputDimension }
    public var classCount: Int { network.classCount }

    /// weight[I×C] row-major, then bias[C].
    public var weight: [Float] { network.layers[0].weight }
    public var bias: [Float] { network.layers[0].bias }

    public func predict(flat x: [Float], rows: Int) -> [Float] { network.predict(flat: x, rows: rows) }
}
