import CBLAS
import Foundation

/// The forward pass's operations over a whole packed chunk (T rows, the texts end
/// to end). GEMMs and attention take a `TwoWay` and give it the range to split:
/// output columns, or heads.
extension MiniLMEncoder {
    /// [0, n0, n0 + n1, ...]: where each text's rows start, then T.
    func rowOffsets(_ texts: [[Int32]]) -> [Int] {
        var offsets = [Int](repeating: 0, count: texts.count + 1)
        for (i, t) in texts.enumerated() { offsets[i + 1] = offsets[i] + t.count }
        return offsets
    }

    /// x[t, :] = LayerNorm(wte[id_t] + wpe[pos_t] + wtt[0]); x: [T, C], pos restarts per text.
    func embeddings(_ texts: [[Int32]], offsets: [Int], x: UnsafeMutablePointer<Float>) {
        let C = config.hidden
        let w = weights
        for (i, ids) in texts.enumerated() {
            for (pos, id) in ids.enumerated() {
                let row = x + (offsets[i] + pos) * C
                let we = w.wordEmbeddings + Int(id) * C
                let pe = w.positionEmbeddings + pos * C
                for c in 0..<C { row[c] = we[c] + pe[c] + w.tokenTypeEmbeddings[c] }
            }
        }
        MiniLMKernels.layerNorm(
            x, gamma: w.embLnG, beta: w.embLnB, rows: offsets.last!, cols: C,
            eps: config.layerNormEps)
    }

    /// c[rows, n] = a[rows, k] · wᵀ (+ bias[n]), w [n, k] as stored by PyTorch ([out, in]),
    /// in w's precision. fp32: up to `packedMaxRows` rows go to the packed-weight kernel (no
    /// per-call weight packing), more to OpenBLAS. int8 and bf16: the activations are
    /// quantized (or rounded) once, then the kernel runs. `split` divides c's columns: whole
    /// 16-column panels, or 16-aligned column blocks for OpenBLAS.
    func matmul(
        _ a: UnsafePointer<Float>, _ w: MiniLMWeights.Dense, bias: UnsafePointer<Float>?,
        _ c: UnsafeMutablePointer<Float>, rows: Int, workspace ws: Workspace, _ split: TwoWay
    ) {
        let n = w.n
        let k = w.k
        let panels = n / MiniLMKernels.packedPanelWidth
        switch w.form {
        case .int8(let m):
            ws.int8.quantize(a, rows: rows, k: k)
            let kernel = precision.int8Kernel ?? .reference
            split.split(panels) { _, range in
                m.multiply(ws.int8, rows: rows, bias: bias, c, panels: range, kernel: kernel)
            }
        case .bf16(let m):
            ws.bf16.prepare(a, rows: rows, k: k, kernel: m.kernel)
            split.split(panels) { _, range in m.multiply(ws.bf16, rows: rows, bias: bias, c, panels: range) }
        case .fp32(let weights, let packed):
            if rows <= packedMaxRows {
                split.split(panels) { _, range in
                    MiniLMKernels.gemmPacked(a, packed: packed, bias: bias, c, rows: rows, n: n, k: k, panels: range)
                }
                return
            }
            var beta: Float = 0
            if let bias {
                for r in 0..<rows { (c + r * n).update(from: bias, count: n) }
                beta = 1
            }
            split.split(n, multipleOf: 16) { [beta] _, cols in
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols.count), Int32(k),
                    1, a, Int32(k), weights + cols.lowerBound * k, Int32(k), beta, c + cols.lowerBound, Int32(n))
            }
        }
    }

    /// x = LayerNorm(x + y + bias), in place on the residual stream; x, y: [rows, C].
    func addNorm(
        _ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        _ norm: MiniLMWeights.Norm, rows: Int
    ) {
        MiniLMKernels.residualLayerNorm(
            x, adding: y, bias: bias, gamma: norm.gamma, beta: norm.beta, rows: rows,
            cols: config.hidden, eps: config.layerNormEps)
    }

    /// x = gelu(x + bias) in place; x: [rows, F].
    func gelu(_ x: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int) {
        MiniLMKernels.biasGelu(x, bias: bias, rows: rows, cols: config.intermediate)
    }

    /// ctx[T, C] = per text, per head softmax(q kᵀ / √D) v, each text over its own rows
    /// of qkv [T, 3C]. `split` divides the heads; each half has its own scratch.
    func attention(
        _ qkv: UnsafePointer<Float>, _ ctx: UnsafeMutablePointer<Float>, offsets: [Int],
        workspace ws: Workspace, _ split: TwoWay
    ) {
        let C = config.hidden
        split.split(config.heads) { part, heads in
            for i in 0..<offsets.count - 1 {
                let s = offsets[i]
                MiniLMKernels.attention(
                    qkv: qkv + s * 3 * C, out: ctx + s * C, scratch: ws.scores(part: part),
                    length: offsets[i + 1] - s, hidden: C, heads: self.config.heads,
                    headRange: heads)
            }
        }
    }

    /// out[rowsOut[i], :] = normalize(mean of text i's rows of x [T, C]).
    func meanPoolNormalize(
        _ x: UnsafePointer<Float>, offsets: [Int], out: UnsafeMutablePointer<Float>,
        rowsOut: [Int]
    ) {
        let C = config.hidden
        for i in 0..<offsets.count - 1 {
            meanPoolNormalize(
                x + offsets[i] * C, rows: offsets[i + 1] - offsets[i], cols: C,
                out: out + rowsOut[i] * C)
        }
    }

    /// out[C] = normalize(mean over rows of x[rows, C]).
    func meanPoolNormalize(_ x: UnsafePointer<Float>, rows: Int, cols C: Int, out: UnsafeMutablePointer<Float>) {
        for c in 0..<C { out[c] = 0 }
        for r in 0..<rows { for c in 0..<C { out[c] += x[r * C + c] } }
        var norm: Float = 0
        for c in 0..<C {
            out[c] /= Float(rows)
            norm += out[c] * out[c]
        }
        let inv = 1 / max(norm.squareRoot(), 1e-12)
        for c in 0..<C { out[c] *= inv }
    }
}
