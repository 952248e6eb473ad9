/// Anything that turns texts into fixed-size sentence embeddings. The MiniLM
/// encoder is the real one; heads and zero-shot labels only need this.
public protocol SentenceEmbedder: AnyObject, Sendable {
    /// Length of every embedding this embedder returns (384 for all-MiniLM-L6-v2).
    var dimension: Int { get }
    /// Names the model and its weights (for example "all-MiniLM-L6-v2@53aa5117"), so a
    /// head or a cache built for one model is never used with another.
    var modelID: String { get }
    /// One L2-normalised embedding per text, in input order.
    func embed(_ texts: [String]) throws -> [[Float]]
    /// How many `embed` calls may usefully run at once (see the default below).
    var concurrentCalls: Int { get }
}

extension SentenceEmbedder {
    /// How many `embed` calls may usefully run at once (1: one at a time). An embedder
    /// that says more must be safe to call from that many threads.
    public var concurrentCalls: Int { 1 }
}
