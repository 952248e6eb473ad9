import Foundation

/// Pointers to the encoder's tensors. Most point into the read-only mapping of
/// `model.safetensors`. The four GEMM weights of each layer are kept in the form the
/// chosen precision multiplies by:
/// - fp32: as stored (for OpenBLAS; the fused QKV weights copied once into one buffer)
///   and packed in 16-column panels for the few-row kernel: a second copy, 42 MB in all;
/// - int8 or bf16: only quantized and packed (10.6 MB or 21 MB in all); the fp32 pages
///   read to make them are then given back (`SafeTensors.release`).
final class MiniLMWeights: @unchecked Sendable {  // read-only after init
    /// One GEMM weight w [n, k] (PyTorch's [out, in]) in the form its precision multiplies by.
    struct Dense {
        enum Form {
            /// As stored, for OpenBLAS, and packed in 16-column panels for `MiniLMKernels.gemmPacked`.
            case fp32(w: UnsafePointer<Float>, packed: UnsafePointer<Float>)
            case int8(Int8Matrix)
            case bf16(BF16Matrix)
        }
        let form: Form
        let n: Int, k: Int
    }

    /// A LayerNorm's scale and shift, [C] each.
    struct Norm {
        let gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>
    }

    struct Layer {
        let qkv: Dense  // [3C, C] rows: query, key, value (fused)
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

    init(file: SafeTensors, config c: BertConfig, precision: PrecisionChoice) throws {
        self.file = file
        let C = c.hidden
        let F = c.intermediate
        wordEmbeddings = try file.f32("embeddings.word_embeddings.weight", [c.vocabSize, C])
        positionEmbeddings = try file.f32("embeddings.position_embeddings.weight", [c.maxPositions, C])
        tokenTypeEmbeddings = try file.f32("embeddings.token_type_embeddings.weight", [2, C])
        embLnG = try file.f32("embeddings.LayerNorm.weight", [C])
        embLnB = try file.f32("embeddings.LayerNorm.bias", [C])
        let fp32 = precision.precision == .fp32
        let perLayer = 3 * C * C + 3 * C
        let fused = UnsafeMutablePointer<Float>.allocate(capacity: (fp32 ? perLayer : 3 * C) * c.layers)
        self.fused = fused
        let packedPerLayer = 3 * C * C + C * C + 2 * F * C
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: fp32 ? packedPerLayer * c.layers : 1)
        self.packed = packed
        /// w: the weight's parts (one, or query, key and value), each [rows, k].
        func dense(_ parts: [(w: UnsafePointer<Float>, rows: Int)], k: Int, packedAt p: UnsafeMutablePointer<Float>?)
            -> Dense
        {
            let n = parts.reduce(0) { $0 + $1.rows }
            switch precision.precision {
            case .int8:
                return Dense(form: .int8(Int8Matrix(parts: parts, k: k)), n: n, k: k)
            case .bf16:
                let kernel = precision.bf16Kernel ?? .reference
                return Dense(form: .bf16(BF16Matrix(parts: parts, k: k, kernel: kernel)), n: n, k: k)
            default:
                MiniLMKernels.packWeights(parts[0].w, n: n, k: k, into: p!)
                return Dense(form: .fp32(w: parts[0].w, packed: UnsafePointer(p!)), n: n, k: k)
            }
        }
        var layers: [Layer] = []
        do {
            for l in 0..<c.layers {
                let p = "encoder.layer.\(l)."
                let names = ["query", "key", "value"]
                let qkvParts = try names.map { (w: try file.f32(p + "attention.self.\($0).weight", [C, C]), rows: C) }
                let b = fused + l * (fp32 ? perLayer : 3 * C) + (fp32 ? 3 * C * C : 0)
                for (k, name) in names.enumerated() {
                    (b + k * C).update(from: try file.f32(p + "attention.self.\(name).bias", [C]), count: C)
                }
                let qkvWeights: [(w: UnsafePointer<Float>, rows: Int)]
                if fp32 {  // OpenBLAS needs the fused matrix contiguous
                    let w = fused + l * perLayer
                    for (k, part) in qkvParts.enumerated() { (w + k * C * C).update(from: part.w, count: C * C) }
                    qkvWeights = [(UnsafePointer(w), 3 * C)]
                } else {
                    qkvWeights = qkvParts
                }
                let pk: UnsafeMutablePointer<Float>? = fp32 ? packed + l * packedPerLayer : nil
                let outW = try file.f32(p + "attention.output.dense.weight", [C, C])
                let ffn1W = try file.f32(p + "intermediate.dense.weight", [F, C])
                let ffn2W = try file.f32(p + "output.dense.weight", [C, F])
                layers.append(
                    Layer(
                        qkv: dense(qkvWeights, k: C, packedAt: pk), qkvB: UnsafePointer(b),
                        out: dense([(outW, C)], k: C, packedAt: pk.map { $0 + 3 * C * C }),
                        outB: try file.f32(p + "attention.output.dense.bias", [C]),
                        ln1: Norm(
                            gamma: try file.f32(p + "attention.output.LayerNorm.weight", [C]),
                            beta: try file.f32(p + "attention.output.LayerNorm.bias", [C])),
                        ffn1: dense([(ffn1W, F)], k: C, packedAt: pk.map { $0 + 4 * C * C }),
                        ffn1B: try file.f32(p + "intermediate.dense.bias", [F]),
                        ffn2: dense([(ffn2W, C)], k: F, packedAt: pk.map { $0 + 4 * C * C + F * C }),
                        ffn2B: try file.f32(p + "output.dense.bias", [C]),
                        ln2: Norm(
                            gamma: try file.f32(p + "output.LayerNorm.weight", [C]),
                            beta: try file.f32(p + "output.LayerNorm.bias", [C]))))
                if !fp32 {
                    // The fp32 GEMM weights are no longer read: give their pages back.
                    for part in qkvParts { file.release(part.w, count: C * C) }
                    file.release(outW, count: C * C)
                    file.release(ffn1W, count: F * C)
                    file.release(ffn2W, count: C * F)
                }
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
