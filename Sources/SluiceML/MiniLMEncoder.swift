import CBLAS
import Foundation

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
    /// Serialises forward passes (they own both cores, the workspaces and BLAS's thread count).
    private let computeLock = NSLock()
    private let workspaces: [Workspace]
    /// Chunks with fewer tokens run on one thread (splitting costs more than it gains).
    let minSplitTokens = 24
    let singleTextBLASThreads: Int32 = ProcessInfo.processInfo.environment["SLUICE_BLAS_THREADS"].flatMap { Int32($0) } ?? 2
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
        workspaces = [Workspace(config: config), Workspace(config: config)]
        var sizeLE = UInt64(tensors.fileSize).littleEndian
        let digest = SHA256.hash(tensors.headerBytes + withUnsafeBytes(of: &sizeLE) { Array($0) })
        modelID = "all-MiniLM-L6-v2@" + digest.prefix(4).map { String(format: "%02x", $0) }.joined()
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
    ///
    /// Texts are sorted longest first and cut into chunks of at most `chunkTokens`
    /// tokens. A chunk of several texts is split in two halves of about equal
    /// tokens, run concurrently on two threads with one BLAS thread each; a lone
    /// text runs on one thread with two BLAS threads. Calls are serialised: one
    /// call already uses both cores.
    public func embedFlat(tokenized: [[Int32]], into out: UnsafeMutablePointer<Float>) {
        guard !tokenized.isEmpty else { return }
        let order = tokenized.indices.sorted { tokenized[$0].count > tokenized[$1].count }
        computeLock.lock()
        defer { computeLock.unlock() }
        var start = 0
        while start < order.count {
            var end = start, tokens = 0
            while end < order.count, end == start || tokens + tokenized[order[end]].count <= chunkTokens {
                tokens += tokenized[order[end]].count; end += 1
            }
            let chunk = Array(order[start..<end])
            if chunk.count >= 2 && tokens >= minSplitTokens {
                // Longest first, each text to the lighter half: halves within one text of each other.
                var split: [[Int]] = [[], []], load = [0, 0]
                for i in chunk {
                    let w = load[0] <= load[1] ? 0 : 1
                    split[w].append(i); load[w] += tokenized[i].count
                }
                let halves = split
                setBLASThreads(1)
                let outAddress = UInt(bitPattern: out)
                DispatchQueue.concurrentPerform(iterations: 2) { w in
                    let out = UnsafeMutablePointer<Float>(bitPattern: outAddress)!
                    forward(halves[w].map { tokenized[$0] }, workspace: workspaces[w], out: out, rowsOut: halves[w])
                }
            } else {
                setBLASThreads(singleTextBLASThreads)
                forward(chunk.map { tokenized[$0] }, workspace: workspaces[0], out: out, rowsOut: chunk)
            }
            start = end
        }
    }

    /// BLAS's thread count is process-wide; set it for each chunk (a cheap call).
    private func setBLASThreads(_ n: Int32) {
        openblas_set_num_threads(n)
    }

    /// Restores the thread count the encoder expects after someone else changed it.
    static func configureBLAS() {
        openblas_set_num_threads(2)
    }
}
