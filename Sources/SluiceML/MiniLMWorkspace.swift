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
    /// Quantized or rounded activations for int8 and bf16 GEMMs (empty until used).
    let int8 = Int8Activations()
    let bf16 = BF16Activations()
    /// Attention scratch of each of the two halves a lone text's heads are split into.
    private var scores = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var scores2 = UnsafeMutablePointer<Float>.allocate(capacity: 1)

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
            scores.deallocate()
            scores2.deallocate()
            scores = .allocate(capacity: need)
            scores2 = .allocate(capacity: need)
            scoreCapacity = need
        }
    }

    /// Attention scratch for half `part` (0 or 1) of a `TwoWay` split.
    func scores(part: Int) -> UnsafeMutablePointer<Float> { part == 0 ? scores : scores2 }

    deinit { for p in [x, qkv, ctx, tmp, ffn, scores, scores2] { p.deallocate() } }
}
