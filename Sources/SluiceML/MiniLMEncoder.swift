import CBLAS
import Foundation
import Synchronization

/// sentence-transformers/all-MiniLM-L6-v2 in Swift: BERT (6 layers, hidden 384,
/// 12 heads, FFN 1536), mean pooling, L2 normalisation. Weights are read in
/// place from the memory-mapped safetensors file; GEMMs go to OpenBLAS.
///
/// Batches are packed, not padded: the texts of a chunk are laid end to end
/// ([T, C] with T the sum of their lengths), every GEMM runs over all T rows,
/// and attention runs per text over that text's own rows, so there are no
/// padded keys to mask and no FLOPs spent on padding.
public final class MiniLMEncoder: SentenceEmbedder {
    public let dimension: Int
    public let modelID: String
    /// Longest input, [CLS] and [SEP] included (sentence-transformers' max_seq_length).
    public let maxTokens = 256

    let config: BertConfig
    let tokenizer: WordPieceTokenizer
    let weights: MiniLMWeights
    private let pool = Mutex<[Workspace]>([])
    /// Tokens per forward chunk: bounds scratch memory (about 30 MB at 2048).
    let chunkTokens = 2048

    /// Loads the model from `modelDirectory`, or, when nil, from `SLUICE_MODEL_DIR`
    /// or `.deps/model` found walking up from the working or executable directory.
    public init(modelDirectory: String? = nil) throws {
        let files = try ModelFiles.locate(modelDirectory)
        config = try BertConfig(path: files.config)
        tokenizer = try WordPieceTokenizer(vocabPath: files.vocab)
        let tensors = try SafeTensors(path: files.weights)
        weights = try MiniLMWeights(file: tensors, config: config)
        dimension = config.hidden
        var sizeLE = UInt64(tensors.fileSize).littleEndian
        let digest = SHA256.hash(tensors.headerBytes + withUnsafeBytes(of: &sizeLE) { Array($0) })
        modelID = "all-MiniLM-L6-v2@" + digest.prefix(4).map { String(format: "%02x", $0) }.joined()
        MiniLMEncoder.configureBLAS()
    }

    /// Input ids with [CLS] and [SEP], truncated to `maxTokens`.
    public func tokenize(_ text: String) -> [Int32] {
        tokenizer.encode(text, maxTokens: maxTokens)
    }

    /// One L2-normalised embedding per text, in input order.
    public func embed(_ texts: [String]) throws -> [[Float]] {
        embed(tokenized: texts.map(tokenize))
    }

    /// Embeddings for already tokenised inputs (each [CLS] ... [SEP]), in input order.
    public func embed(tokenized: [[Int32]]) -> [[Float]] {
        let C = dimension
        var flat = [Float](repeating: 0, count: tokenized.count * C)
        flat.withUnsafeMutableBufferPointer { embedFlat(tokenized: tokenized, into: $0.baseAddress!) }
        return (0..<tokenized.count).map { Array(flat[$0 * C..<($0 + 1) * C]) }
    }

    /// Flat variant: writes texts.count x dimension floats, row i for input i.
    public func embedFlat(tokenized: [[Int32]], into out: UnsafeMutablePointer<Float>) {
        guard !tokenized.isEmpty else { return }
        // Longest first, then cut into chunks of at most chunkTokens tokens.
        let order = tokenized.indices.sorted { tokenized[$0].count > tokenized[$1].count }
        let ws = takeWorkspace()
        defer { returnWorkspace(ws) }
        var start = 0
        while start < order.count {
            var end = start, tokens = 0
            while end < order.count, end == start || tokens + tokenized[order[end]].count <= chunkTokens {
                tokens += tokenized[order[end]].count; end += 1
            }
            let chunk = Array(order[start..<end])
            forward(chunk.map { tokenized[$0] }, workspace: ws, out: out, rowsOut: chunk)
            start = end
        }
    }

    private func takeWorkspace() -> Workspace {
        pool.withLock { $0.popLast() } ?? Workspace(config: config)
    }

    private func returnWorkspace(_ ws: Workspace) {
        pool.withLock { $0.append(ws) }
    }

    static func configureBLAS() {
        let env = ProcessInfo.processInfo.environment["SLUICE_BLAS_THREADS"].flatMap { Int32($0) }
        openblas_set_num_threads(env ?? 2)
    }
}
