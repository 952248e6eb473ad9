import CBLAS
import Foundation
import SluiceDigest
import Synchronization

/// sentence-transformers/all-MiniLM-L6-v2 in Swift: BERT (6 layers, hidden 384,
/// 12 heads, FFN 1536), mean pooling, L2 normalisation. Weights are read in
/// place from the memory-mapped safetensors file. GEMMs run in the precision the
/// options ask for (`Precision`): fp32 through OpenBLAS and a packed-weight kernel,
/// int8 and bf16 through the kernels in CKernels, picked for this CPU at load.
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
    /// Scratch for forward passes; each call takes what it needs, so concurrent
    /// callers never share buffers.
    private let pool = WorkspacePool()
    /// Calls in flight: when several callers embed at once, each already has a
    /// core, so a lone text is not split further.
    private let activeCalls = Atomic<Int>(0)
    /// Threads a call uses (its own parallelism; BLAS itself runs single-threaded).
    let threads = 2
    /// Calls that keep the cores busy between them: this many callers each run on one
    /// thread, with no split to wait on, where a lone call splits every chunk two ways.
    public var concurrentCalls: Int { threads }
    /// Chunks with fewer tokens are not split across texts (splitting costs more than it gains).
    let minSplitTokens = 24
    /// How work is spread (threads, kernels); see `EncoderOptions`.
    public let options: EncoderOptions
    /// The precision and kernels the GEMMs run in on this CPU (`options.precision` resolved).
    public let precision: PrecisionChoice
    /// The helper thread a lone text's two-way splits run on (nil: libdispatch instead).
    /// Started last in init, so a model that fails to load leaves no thread behind.
    let pairs: PairRunner?
    /// GEMMs with at most this many rows (tokens in the chunk) use the packed-weight kernel.
    var packedMaxRows: Int { options.packedMaxRows }
    /// Tokens per forward chunk: bounds scratch memory (about 30 MB at 2048).
    let chunkTokens = 2048

    /// Loads the model from `modelDirectory`, or, when nil, from `SLUICE_MODEL_DIR`
    /// or `.deps/model` found walking up from the working or executable directory.
    public init(modelDirectory: String? = nil, options: EncoderOptions = EncoderOptions()) throws {
        self.options = options
        let files = try ModelFiles.locate(modelDirectory)
        config = try BertConfig(path: files.config)
        tokenizer = try WordPieceTokenizer(vocabPath: files.vocab)
        let tensors = try SafeTensors(path: files.weights)
        precision = options.precisionChoice
        weights = try MiniLMWeights(file: tensors, config: config, precision: precision)
        dimension = config.hidden
        MiniLMEncoder.configureBLAS()
        var sizeLE = UInt64(tensors.fileSize).littleEndian
        let digest = SHA256.hash(tensors.headerBytes + withUnsafeBytes(of: &sizeLE) { Array($0) })
        modelID = "all-MiniLM-L6-v2@" + digest.prefix(4).map { String(format: "%02x", $0) }.joined()
        pairs = options.helperThread ? PairRunner() : nil
    }

    deinit { pairs?.stop() }

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
    /// tokens, run concurrently on two threads (each with its own scratch and
    /// single-threaded BLAS); a lone text splits its GEMM columns and attention
    /// heads over the two threads instead. Safe to call concurrently.
    public func embedFlat(tokenized: [[Int32]], into out: UnsafeMutablePointer<Float>) {
        guard !tokenized.isEmpty else { return }
        let order = tokenized.indices.sorted { tokenized[$0].count > tokenized[$1].count }
        let workspaces = pool.take(threads, config: config)
        activeCalls.add(1, ordering: .relaxed)
        defer {
            activeCalls.subtract(1, ordering: .relaxed)
            pool.give(workspaces)
        }
        var start = 0
        while start < order.count {
            var end = start
            var tokens = 0
            while end < order.count, end == start || tokens + tokenized[order[end]].count <= chunkTokens {
                tokens += tokenized[order[end]].count
                end += 1
            }
            let chunk = Array(order[start..<end])
            // Read per chunk: a call that started alone gives up its split once a second caller
            // has a core of its own, rather than running three threads on two cores.
            let concurrentCallers = activeCalls.load(ordering: .relaxed)
            if chunk.count >= 2 && tokens >= minSplitTokens && concurrentCallers < threads {
                // Longest first, each text to the lighter half: halves within one text of each other.
                var split: [[Int]] = [[], []]
                var load = [0, 0]
                for i in chunk {
                    let w = load[0] <= load[1] ? 0 : 1
                    split[w].append(i)
                    load[w] += tokenized[i].count
                }
                let halves = split
                let outAddress = UInt(bitPattern: out)
                DispatchQueue.concurrentPerform(iterations: 2) { w in
                    let out = UnsafeMutablePointer<Float>(bitPattern: outAddress)!
                    forward(
                        halves[w].map { tokenized[$0] }, workspace: workspaces[w], out: out, rowsOut: halves[w],
                        split: .sequential)
                }
            } else {
                let alone = options.splitSingleText && concurrentCallers < threads
                forward(
                    chunk.map { tokenized[$0] }, workspace: workspaces[0], out: out, rowsOut: chunk,
                    split: alone ? TwoWay(parallel: true, pairs: pairs) : .sequential)
            }
            start = end
        }
    }

    /// BLAS runs single-threaded: the encoder does its own parallelism over two
    /// threads (OpenBLAS's own threads gained nothing on large GEMMs here and
    /// spin-wait badly when the cores are shared).
    static func configureBLAS() {
        openblas_set_num_threads(1)
    }
}

/// Workspaces not in use, handed out to calls and returned afterwards.
final class WorkspacePool: @unchecked Sendable {  // state guarded by lock
    private let lock = NSLock()
    private var free: [Workspace] = []

    func take(_ n: Int, config: BertConfig) -> [Workspace] {
        lock.lock()
        let got = Array(free.suffix(n))
        free.removeLast(got.count)
        lock.unlock()
        return got + (0..<(n - got.count)).map { _ in Workspace(config: config) }
    }

    func give(_ workspaces: [Workspace]) {
        lock.lock()
        free.append(contentsOf: workspaces)
        lock.unlock()
    }
}
