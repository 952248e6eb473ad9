import Foundation

/// Adam with decoupled weight decay (Loshchilov & Hutter): per parameter,
/// m = β1·m + (1-β1)·g, v = β2·v + (1-β2)·g², θ -= lr·(m̂/(√v̂+ε) + λ·θ); λ on weights only.
struct AdamW {
    var learningRate: Float
    var weightDecay: Float
    var beta1: Float = 0.9
    var beta2: Float = 0.999
    var epsilon: Float = 1e-8
    private var step = 0
    private var m: [LinearLayer]
    private var v: [LinearLayer]

    init(for layers: [LinearLayer], learningRate: Float, weightDecay: Float) {
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        m = layers.map { LinearLayer(inputs: $0.inputs, outputs: $0.outputs) }
        v = m
    }

    mutating func update(_ layers: inout [LinearLayer], gradients: [LinearLayer]) {
        step += 1
        let c1 = 1 - powf(beta1, Float(step))
        let c2 = 1 - powf(beta2, Float(step))
        for l in layers.indices {
            update(&layers[l].weight, gradients[l].weight, &m[l].weight, &v[l].weight, c1, c2, decay: weightDecay)
            update(&layers[l].bias, gradients[l].bias, &m[l].bias, &v[l].bias, c1, c2, decay: 0)
        }
    }

    private func update(
        _ theta: inout [Float], _ g: [Float], _ m: inout [Float], _ v: inout [Float],
        _ c1: Float, _ c2: Float, decay: Float
    ) {
        let lr = learningRate
        for i in theta.indices {
            m[i] = beta1 * m[i] + (1 - beta1) * g[i]
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
            let mHat = m[i] / c1
            let vHat = v[i] / c2
            theta[i] -= lr * (mHat / (vHat.squareRoot() + epsilon) + decay * theta[i])
        }
    }
}
