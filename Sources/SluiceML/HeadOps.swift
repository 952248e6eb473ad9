import CBLAS
import Foundation

// The operations a head is made of, one function each, on flat row-major buffers.
// Shapes: B = rows in the batch, I = inputs of a layer, O = outputs, C = classes.

/// C[M×N] = alpha · op(A) · op(B) + beta · C, row-major, through OpenBLAS.
func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, _ a: [Float], _ b: [Float], beta: Float = 0, _ c: inout [Float]
) {
    let lda = transA ? m : k
    let ldb = transB ? k : n
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                cblas_sgemm(
                    CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, pa.baseAddress, Int32(lda), pb.baseAddress, Int32(ldb),
                    beta, pc.baseAddress, Int32(n))
            }
        }
    }
}

/// y[B×O] = x[B×I] · W[I×O] + b[O]
func linearForward(_ x: [Float], rows: Int, layer: LinearLayer) -> [Float] {
    var y = [Float](repeating: 0, count: rows * layer.outputs)
    for r in 0..<rows {
        for o in 0..<layer.outputs { y[r * layer.outputs + o] = layer.bias[o] }
    }
    sgemm(transA: false, transB: false, m: rows, n: layer.outputs, k: layer.inputs, x, layer.weight, beta: 1, &y)
    return y
}

/// Given dy[B×O]: dW[I×O] = xᵀ·dy, db[O] = Σ_rows dy, and dx[B×I] = dy·Wᵀ (when wanted).
func linearBackward(
    _ x: [Float], _ dy: [Float], rows: Int, layer: LinearLayer, needInputGradient: Bool
) -> (dx: [Float], gradient: LinearLayer) {
    var gradient = LinearLayer(inputs: layer.inputs, outputs: layer.outputs)
    sgemm(transA: true, transB: false, m: layer.inputs, n: layer.outputs, k: rows, x, dy, &gradient.weight)
    for r in 0..<rows {
        for o in 0..<layer.outputs { gradient.bias[o] += dy[r * layer.outputs + o] }
    }
    guard needInputGradient else { return ([], gradient) }
    var dx = [Float](repeating: 0, count: rows * layer.inputs)
    sgemm(transA: false, transB: true, m: rows, n: layer.inputs, k: layer.outputs, dy, layer.weight, &dx)
    return (dx, gradient)
}

/// y = max(0, x), elementwise.
func reluForward(_ x: [Float]) -> [Float] { x.map { max(0, $0) } }

/// dx = dy where x > 0.
func reluBackward(_ x: [Float], _ dy: [Float]) -> [Float] {
    zip(x, dy).map { $0 > 0 ? $1 : 0 }
}

private let geluC: Float = 0.797_884_56  // sqrt(2/pi)

/// y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), the tanh form of GELU.
func geluForward(_ x: [Float]) -> [Float] {
    x.map { v in 0.5 * v * (1 + tanhf(geluC * (v + 0.044_715 * v * v * v))) }
}

/// dx = dy · d(gelu)/dx.
func geluBackward(_ x: [Float], _ dy: [Float]) -> [Float] {
    zip(x, dy).map { v, g in
        let u = geluC * (v + 0.044_715 * v * v * v)
        let t = tanhf(u)
        let du = geluC * (1 + 3 * 0.044_715 * v * v)
        return g * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du)
    }
}

/// Inverted dropout: zero each unit with probability `rate`, scale the rest by 1/(1-rate).
func dropoutForward(_ x: [Float], rate: Float, rng: inout SplitMix64) -> (y: [Float], mask: [Float]) {
    let keep = 1 - rate
    let mask = x.indices.map { _ in rng.nextUnitFloat() < keep ? 1 / keep : 0 }
    return (zip(x, mask).map(*), mask)
}

/// dx = dy · mask.
func dropoutBackward(_ dy: [Float], mask: [Float]) -> [Float] { zip(dy, mask).map(*) }

/// Row-wise softmax of logits[B×C], max-subtracted for stability.
func softmaxRows(_ logits: [Float], rows: Int, classes: Int) -> [Float] {
    var p = logits
    for r in 0..<rows {
        let base = r * classes
        var top = -Float.infinity
        for c in 0..<classes { top = max(top, p[base + c]) }
        var sum: Float = 0
        for c in 0..<classes {
            p[base + c] = expf(p[base + c] - top)
            sum += p[base + c]
        }
        for c in 0..<classes { p[base + c] /= sum }
    }
    return p
}

/// Weighted mean cross-entropy of probs[B×C] against labels, and its gradient with
/// respect to the logits: (p - onehot) · w / Σw.
func crossEntropy(
    _ probs: [Float], labels: [Int], weights: [Float], classes: Int
) -> (loss: Float, dLogits: [Float]) {
    let total = max(weights.reduce(0, +), 1e-12)
    var loss: Float = 0
    var d = probs
    for (r, label) in labels.enumerated() {
        let w = weights[r] / total
        loss -= weights[r] * logf(max(probs[r * classes + label], 1e-12))
        d[r * classes + label] -= 1
        for c in 0..<classes { d[r * classes + c] *= w }
    }
    return (loss / total, d)
}
