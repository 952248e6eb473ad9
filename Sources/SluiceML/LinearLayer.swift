/// A dense layer's parameters: weight[I×O] row-major (inputs × outputs) and bias[O].
struct LinearLayer: Sendable, Equatable {
    var inputs: Int
    var outputs: Int
    var weight: [Float]
    var bias: [Float]

    /// All zeros (gradients and optimiser moments start here).
    init(inputs: Int, outputs: Int) {
        self.inputs = inputs
        self.outputs = outputs
        weight = [Float](repeating: 0, count: inputs * outputs)
        bias = [Float](repeating: 0, count: outputs)
    }

    init(inputs: Int, outputs: Int, weight: [Float], bias: [Float]) {
        precondition(weight.count == inputs * outputs && bias.count == outputs, "layer shape mismatch")
        self.inputs = inputs
        self.outputs = outputs
        self.weight = weight
        self.bias = bias
    }

    /// Weights ~ N(0, gain/I) (He for ReLU/GELU with gain 2, LeCun-like with 1); biases 0.
    static func random(inputs: Int, outputs: Int, gain: Float, rng: inout SplitMix64) -> LinearLayer {
        let std = (gain / Float(inputs)).squareRoot()
        var layer = LinearLayer(inputs: inputs, outputs: outputs)
        for i in layer.weight.indices { layer.weight[i] = rng.nextGaussian() * std }
        return layer
    }
}
