import CBLAS
import Foundation

/// Scratch buffers for one forward pass, allocated once and grown only when a
/// chunk needs more tokens than any before. One per concurrent caller.
final class Workspace: @unchecked Sendable {  // used by one thread at a time (pooled)
    let C: Int, F: Int, heads: Int
    private(set) var capacity = 0  // tokens
    private(set) var scoreCapacity = 0
    var x = UnsafeMutablePointer<Float>.allocate(capacity: 1)  // [T, C] residual stream
    var qkv = UnsafeMutablePointer<Float>.allocate(capacity: 1)  // [T, 3C]
    var ctx = UnsafeMutablePointer<Float>.allocate(capacity: 1)  // [T, C] attention output
    var tmp = UnsafeMutablePointer<Float>.allocate(capacity: 1)  // [T, C] projection output
    var ffn = UnsafeMutablePointer<Float>.allocate(capacity: 1)  // [T, F]
    var scores = UnsafeMutablePointer<Float>.allocate(capacity: 1)  // attention scratch
    var scores2 = UnsafeMutablePointer<Float>.allocate(capacity: 1)  // second thread's attention scratch

    init(config: BertConfig) {
        C = config.hidden
        F = config.intermediate
        heads = config.heads
    }

    func reserve(tokens T: Int, longest L: Int) {
        if T > capacity {
            for p in [x, qkv, ctx, tmp, ffn] { p.deallocate() }
            x = .allocate(capacity: T * C)
            qkv = .allocate(capacity: T * 3 * C)
            ctx = .allocate(capacity: T * C)
            tmp = .allocate(capacity: T * C)
            ffn = .allocate(capacity: T * F)
            capacity = T
        }
        let need = MiniLMKernels.attentionScratchCount(length: L, hidden: C, heads: heads)
        if need > scoreCapacity {
            scores.deallocate(); scores2.deallocate()
            scores = .allocate(capacity: need); scores2 = .allocate(capacity: need)
            scoreCapacity = need
        }
    }

    deinit { for p in [x, qkv, ctx, tmp, ffn, scores, scores2] { p.deallocate() } }
}

extension MiniLMEncoder {
    /// The whole model on one packed chunk. texts: token ids of each text; row
    /// `rowsOut[i]` of `out` ([N, C]) receives text i's embedding.
    /// With `parallel`, each GEMM's output columns and the attention heads are split over two threads.
    func forward(_ texts: [[Int32]], workspace ws: Workspace, out: UnsafeMutablePointer<Float>, rowsOut: [Int],
                 parallel: Bool) {
        let cfg = config, C = cfg.hidden, F = cfg.intermediate
        var starts = [Int](repeating: 0, count: texts.count + 1)
        for (i, t) in texts.enumerated() { starts[i + 1] = starts[i] + t.count }
        let offsets = starts
        let T = offsets[texts.count]
        ws.reserve(tokens: T, longest: texts.map(\.count).max() ?? 1)

        embeddings(texts, offsets: offsets, x: ws.x)
        for layer in weights.layers {
            // qkv[T, 3C] = x[T, C] · Wqkv[3C, C]ᵀ + bqkv
            matmul(ws.x, layer.qkvW, packed: layer.qkvP, bias: layer.qkvB, ws.qkv, rows: T, n: 3 * C, k: C, parallel: parallel)
            // ctx[T, C] = per text, per head softmax(q kᵀ / √D) v
            if parallel {
                let qkv = UInt(bitPattern: ws.qkv), ctx = UInt(bitPattern: ws.ctx)
                let scratch = [UInt(bitPattern: ws.scores), UInt(bitPattern: ws.scores2)]
                let H = cfg.heads
                splitInTwo { part in
                    for i in 0..<texts.count {
                        let s = offsets[i], L = offsets[i + 1] - s
                        MiniLMKernels.attention(
                            qkv: UnsafePointer(bitPattern: qkv)! + s * 3 * C,
                            out: UnsafeMutablePointer(bitPattern: ctx)! + s * C,
                            scratch: UnsafeMutablePointer(bitPattern: scratch[part])!,
                            length: L, hidden: C, heads: H, headRange: part * H / 2..<(part + 1) * H / 2)
                    }
                }
            } else {
                for i in 0..<texts.count {
                    let s = offsets[i], L = offsets[i + 1] - s
                    MiniLMKernels.attention(qkv: ws.qkv + s * 3 * C, out: ws.ctx + s * C, scratch: ws.scores,
                                            length: L, hidden: C, heads: cfg.heads)
                }
            }
            // x = LayerNorm(x + ctx · Woᵀ + bo)
            matmul(ws.ctx, layer.outW, packed: layer.outP, bias: nil, ws.tmp, rows: T, n: C, k: C, parallel: parallel)
            MiniLMKernels.residualLayerNorm(ws.x, adding: ws.tmp, bias: layer.outB, gamma: layer.ln1G,
                                            beta: layer.ln1B, rows: T, cols: C, eps: cfg.layerNormEps)
            // ffn[T, F] = gelu(x · W1ᵀ + b1)
            matmul(ws.x, layer.ffn1W, packed: layer.ffn1P, bias: nil, ws.ffn, rows: T, n: F, k: C, parallel: parallel)
            MiniLMKernels.biasGelu(ws.ffn, bias: layer.ffn1B, rows: T, cols: F)
            // x = LayerNorm(x + ffn · W2ᵀ + b2)
            matmul(ws.ffn, layer.ffn2W, packed: layer.ffn2P, bias: nil, ws.tmp, rows: T, n: C, k: F, parallel: parallel)
            MiniLMKernels.residualLayerNorm(ws.x, adding: ws.tmp, bias: layer.ffn2B, gamma: layer.ln2G,
                                            beta: layer.ln2B, rows: T, cols: C, eps: cfg.layerNormEps)
        }
        for i in 0..<texts.count {
            meanPoolNormalize(ws.x + offsets[i] * C, rows: offsets[i + 1] - offsets[i], cols: C,
                              out: out + rowsOut[i] * C)
        }
    }

    /// x[t, :] = LayerNorm(wte[id_t] + wpe[pos_t] + wtt[0]); x: [T, C], pos restarts per text.
    func embeddings(_ texts: [[Int32]], offsets: [Int], x: UnsafeMutablePointer<Float>) {
        let C = config.hidden, w = weights
        for (i, ids) in texts.enumerated() {
            for (pos, id) in ids.enumerated() {
                let row = x + (offsets[i] + pos) * C
                let we = w.wordEmbeddings + Int(id) * C, pe = w.positionEmbeddings + pos * C
                for c in 0..<C { row[c] = we[c] + pe[c] + w.tokenTypeEmbeddings[c] }
            }
        }
        MiniLMKernels.layerNorm(x, gamma: w.embLnG, beta: w.embLnB, rows: offsets.last!, cols: C,
                                eps: config.layerNormEps)
    }

    /// c[rows, n] = a[rows, k] · w[n, k]ᵀ (+ bias[n]); w as stored by PyTorch ([out, in]),
    /// `packed` the same weights in `MiniLMKernels.packWeights` panels.
    /// Up to `packedMaxRows` rows go to the packed-weight kernel (no per-call weight packing),
    /// more to OpenBLAS. With `parallel`, two threads each compute half of c's columns.
    func matmul(_ a: UnsafePointer<Float>, _ w: UnsafePointer<Float>, packed: UnsafePointer<Float>,
                bias: UnsafePointer<Float>?, _ c: UnsafeMutablePointer<Float>, rows: Int, n: Int, k: Int,
                parallel: Bool = false) {
        if rows <= packedMaxRows {
            if !parallel {
                MiniLMKernels.gemmPacked(a, packed: packed, bias: bias, c, rows: rows, n: n, k: k)
                return
            }
            let panels = n / MiniLMKernels.packedPanelWidth, half = panels / 2
            let (pa, pp, pb, pc) = (UInt(bitPattern: a), UInt(bitPattern: packed), bias.map { UInt(bitPattern: $0) },
                                    UInt(bitPattern: c))
            splitInTwo { part in
                MiniLMKernels.gemmPacked(
                    UnsafePointer(bitPattern: pa)!, packed: UnsafePointer(bitPattern: pp)!,
                    bias: pb.flatMap { UnsafePointer(bitPattern: $0) }, UnsafeMutablePointer(bitPattern: pc)!,
                    rows: rows, n: n, k: k, panels: part == 0 ? 0..<half : half..<panels)
            }
            return
        }
        var beta: Float = 0
        if let bias {
            for r in 0..<rows { (c + r * n).update(from: bias, count: n) }
            beta = 1
        }
        if !parallel {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(n), Int32(k),
                        1, a, Int32(k), w, Int32(k), beta, c, Int32(n))
            return
        }
        let half = (n / 2 + 15) & ~15, b = beta
        let (pa, pw, pc) = (UInt(bitPattern: a), UInt(bitPattern: w), UInt(bitPattern: c))
        splitInTwo { part in
            let n0 = part == 0 ? 0 : half, cols = part == 0 ? half : n - half
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(k),
                        1, UnsafePointer(bitPattern: pa)!, Int32(k), UnsafePointer<Float>(bitPattern: pw)! + n0 * k,
                        Int32(k), b, UnsafeMutablePointer<Float>(bitPattern: pc)! + n0, Int32(n))
        }
    }

    /// body(0) and body(1) at once: on the persistent helper when enabled, else through libdispatch.
    func splitInTwo(_ body: @escaping @Sendable (Int) -> Void) {
        if let pairs { pairs.run(body) } else { DispatchQueue.concurrentPerform(iterations: 2) { body($0) } }
    }

    /// out[C] = normalize(mean over rows of x[rows, C]).
    func meanPoolNormalize(_ x: UnsafePointer<Float>, rows: Int, cols C: Int, out: UnsafeMutablePointer<Float>) {
        for c in 0..<C { out[c] = 0 }
        for r in 0..<rows { for c in 0..<C { out[c] += x[r * C + c] } }
        var norm: Float = 0
        for c in 0..<C { out[c] /= Float(rows); norm += out[c] * out[c] }
        let inv = 1 / max(norm.squareRoot(), 1e-12)
        for c in 0..<C { out[c] *= inv }
    }
}
