import Foundation

/// Pointers to the encoder's tensors. Most point into the read-only mapping of
/// `model.safetensors`; the fused QKV weights are copied once into one buffer.
/// The four GEMM weights of each layer are also kept packed (`MiniLMKernels.packWeights`)
/// for the few-row kernel a lone text uses: a second copy, 42 MB for all-MiniLM-L6-v2.
final class MiniLMWeights: @unchecked Sendable {  // read-only after init
    /// One GEMM weight w [n, k] (PyTorch's [out, in]) in both layouts the encoder multiplies by:
    /// as stored, for OpenBLAS, and packed in 16-column panels for `MiniLMKernels.gemmPacked`.
    struct Dense {
        let w: UnsafePointer<Float>  // [n, k]
        let packed: UnsafePointer<Float>  // n/16 panels of [k, 16]
        let n: Int, k: Int
    }

    /// A LayerNorm's scale and shift, [C] each.
    struct Norm {
        let gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>
    }

    struct Layer {
        let qkv: Dense  // [3C, C] rows: query, key, value (copied, fused)
        let qkvB: UnsafePointer<Float>  // [3C]
        let out: Dense  // [C, C]
        let outB: UnsafePointer<Float>  // [C]
        let ln1: Norm
        let ffn1: Dense  // [F, C]
        let ffn1B: UnsafePointer<Float>  // [F]
        let ffn2: Dense  // [C, F]
        let ffn2B: UnsafePointer<Float>  // [C]
        let ln2: Norm
    }

    let file: SafeTensors
    let wordEmbeddings: UnsafePointer<Float>  // [V, C]
    let positionEmbeddings: UnsafePointer<Float>  // [P, C]
    let tokenTypeEmbeddings: UnsafePointer<Float>  // [2, C]
    let embLnG: UnsafePointer<Float>, embLnB: UnsafePointer<Float>  // [C]
    let layers: [Layer]
    private let fused: UnsafeMutablePointer<Float>
    private let packed: UnsafeMutablePointer<Float>

    init(file: SafeTensors, config c: BertConfig) throws {
        self.file = file
        let C = c.hidden
        let F = c.intermediate
        wordEmbeddings = try file.f32("embeddings.word_embeddings.weight", [c.vocabSize, C])
        positionEmbeddings = try file.f32("embeddings.position_embeddings.weight", [c.maxPositions, C])
        tokenTypeEmbeddings = try file.f32("embeddings.token_type_embeddings.weight", [2, C])
        embLnG = try file.f32("embeddings.LayerNorm.weight", [C])
        embLnB = try file.f32("embeddings.LayerNorm.bias", [C])
        let perLayer = 3 * C * C + 3 * C
        let fused = UnsafeMutablePointer<Float>.allocate(capacity: perLayer * c.layers)
        self.fused = fused
        let packedPerLayer = 3 * C * C + C * C + 2 * F * C
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: packedPerLayer * c.layers)
        self.packed = packed
        func dense(_ w: UnsafePointer<Float>, n: Int, k: Int, packedAt p: UnsafeMutablePointer<Float>) -> Dense {
            MiniLMKernels.packWeights(w, n: n, k: k, into: p)
            return Dense(w: w, packed: UnsafePointer(p), n: n, k: k)
        }
        var layers: [Layer] = []
        do {
            for l in 0..<c.layers {
                let p = "encoder.layer.\(l)."
                let w = fused + l * perLayer
                let b = w + 3 * C * C
                let pk = packed + l * packedPerLayer
                for (k, name) in ["query", "key", "value"].enumerated() {
                    (w + k * C * C).update(
                        from: try file.f32(p + "attention.self.\(name).weight", [C, C]), count: C * C)
                    (b + k * C).update(from: try file.f32(p + "attention.self.\(name).bias", [C]), count: C)
                }
                let outW = try file.f32(p + "attention.output.dense.weight", [C, C])
                let ffn1W = try file.f32(p + "intermediate.dense.weight", [F, C])
                let ffn2W = try file.f32(p + "output.dense.weight", [C, F])
                layers.append(
                    Layer(
                        qkv: dense(UnsafePointer(w), n: 3 * C, k: C, packedAt: pk), qkvB: UnsafePointer(b),
                        out: dense(outW, n: C, k: C, packedAt: pk + 3 * C * C),
                        outB: try file.f32(p + "attention.output.dense.bias", [C]),
                        ln1: Norm(
                            gamma: try file.f32(p + "attention.output.LayerNorm.weight", [C]),
                            beta: try file.f32(p + "attention.output.LayerNorm.bias", [C])),
                        ffn1: dense(ffn1W, n: F, k: C, packedAt: pk + 4 * C * C),
                        ffn1B: try file.f32(p + "intermediate.dense.bias", [F]),
                        ffn2: dense(ffn2W, n: C, k: F, packedAt: pk + 4 * C * C + F * C),
                        ffn2B: try file.f32(p + "output.dense.bias", [C]),
                        ln2: Norm(
                            gamma: try file.f32(p + "output.LayerNorm.weight", [C]),
                            beta: try file.f32(p + "output.LayerNorm.bias", [C]))))
            }
        } catch {
            fused.deallocate()
            packed.deallocate()
            throw error
        }
        self.layers = layers
    }

    deinit {
        fused.deallocate()
        packed.deallocate()
    }
}
