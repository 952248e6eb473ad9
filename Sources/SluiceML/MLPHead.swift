/// One hidden layer: probs = softmax(act(x·W1 + b1)·W2 + b2), act = ReLU or GELU.
public struct MLPHead: ClassificationHead, Equatable {
    var network: HeadNetwork

    init(network: HeadNetwork) {
        precondition(network.layers.count == 2)
        self.network = network
    }

    /// He-initialised hidden layer, small output layer; `HeadTrainer` starts from here.
    public init(inputDimension: Int, hiddenSize: Int, classCount: Int, activation: Activation, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let hidden = LinearLayer.random(inputs: inputDimension, outputs: hiddenSize, gain: 2, rng: &rng)
        let output = LinearLayer.random(inputs: hiddenSize, outputs: classCount, gain: 1, rng: &rng)
        network = HeadNetwork(layers: [hidden, output], activation: activation)
    }

    /// A head with the given parameters: hidden weight[I×H] row-major, hidden bias[H],
    /// output weight[H×C], output bias[C] (the layout of the accessors below).
    public init(
        hiddenWeight: [Float], hiddenBias: [Float], outputWeight: [Float], outputBias: [Float],
        activation: Activation
    ) {
        let hidden = hiddenBias.count
        let classes = outputBias.count
        precondition(hidden > 0 && hiddenWeight.count % hidden == 0, "hidden weight is not [I×H]")
        let hiddenLayer = LinearLayer(
            inputs: hiddenWeight.count / hidden, outputs: hidden, weight: hiddenWeight,
            bias: hiddenBias)
        let outputLayer = LinearLayer(inputs: hidden, outputs: classes, weight: outputWeight, bias: outputBias)
        self.init(network: HeadNetwork(layers: [hiddenLayer, outputLayer], activation: activation))
    }

    public var kind: HeadKind { .mlp }
    public var inputDimension: Int { network.inputDimension }
    public var classCount: Int { network.classCount }
    public var hiddenSize: Int { network.layers[0].outputs }
    public var activation: Activation { network.activation }

    /// Hidden weight[I×H], hidden bias[H], output weight[H×C], output bias[C].
    public var hiddenWeight: [Float] { network.layers[0].weight }
    public var hiddenBias: [Float] { network.layers[0].bias }
    public var outputWeight: [Float] { network.layers[1].weight }
    public var outputBias: [Float] { network.layers[1].bias }

    public func predict(flat x: [Float], rows: Int) -> [Float] { network.predict(flat: x, rows: rows) }
}
