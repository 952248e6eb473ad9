/// The layers shared by both heads: `layers[0]`, then (if there are two) the activation
/// and `layers[1]`; softmax on top. Training and prediction both go through here.
struct HeadNetwork: Sendable, Equatable {
    var layers: [LinearLayer]
    var activation: Activation

    var inputDimension: Int { layers[0].inputs }
    var classCount: Int { layers[layers.count - 1].outputs }

    /// What a forward pass keeps for the backward pass.
    struct Trace {
        var inputs: [[Float]] = []  // input of each linear layer
        var preActivation: [Float] = []  // hidden layer before the nonlinearity [B×H]
        var dropoutMask: [Float]? = nil
        var probs: [Float] = []  // [B×C]
    }

    /// probs[B×C] for x[B×I]; with `dropout` > 0 and a generator, drops hidden units.
    func forward(_ x: [Float], rows: Int, dropout: Float = 0, rng: inout SplitMix64?) -> Trace {
        var trace = Trace()
        var h = x
        for (index, layer) in layers.enumerated() {
            trace.inputs.append(h)
            h = linearForward(h, rows: rows, layer: layer)  // [B×O]
            if index < layers.count - 1 {
                trace.preActivation = h
                h = activation == .relu ? reluForward(h) : geluForward(h)  // [B×H]
                if dropout > 0, var generator = rng {
                    let (y, mask) = dropoutForward(h, rate: dropout, rng: &generator)
                    rng = generator
                    h = y
                    trace.dropoutMask = mask
                }
            }
        }
        trace.probs = softmaxRows(h, rows: rows, classes: classCount)
        return trace
    }

    /// Gradients of every layer, from dLogits[B×C].
    func backward(_ trace: Trace, dLogits: [Float], rows: Int) -> [LinearLayer] {
        var gradients = [LinearLayer](repeating: LinearLayer(inputs: 0, outputs: 0), count: layers.count)
        var dy = dLogits
        for index in stride(from: layers.count - 1, through: 0, by: -1) {
            let (dx, gradient) = linearBackward(
                trace.inputs[index], dy, rows: rows, layer: layers[index], needInputGradient: index > 0)
            gradients[index] = gradient
            if index > 0 {
                var dh = dx  // [B×H]
                if let mask = trace.dropoutMask { dh = dropoutBackward(dh, mask: mask) }
                dy = activation == .relu ? reluBackward(trace.preActivation, dh) : geluBackward(trace.preActivation, dh)
            }
        }
        return gradients
    }

    /// Probabilities for a flat batch x[B×I], without dropout.
    func predict(flat x: [Float], rows: Int) -> [Float] {
        var none: SplitMix64? = nil
        return forward(x, rows: rows, rng: &none).probs
    }
}
