/// How far `CachedEmbedding.embed` has got: texts embedded so far, of the distinct
/// texts that were not cached.
public struct EmbeddingProgress: Sendable, Equatable {
    public let done: Int
    public let total: Int
}

/// Embeds texts through a cache: only texts not cached go to the embedder, in batches
/// sorted by length (less padding), reporting progress as it goes; new embeddings
/// are written back every few batches so an interrupted run keeps its work.
public enum CachedEmbedding {
    /// progress: called with done 0 before the first batch and after each one (never when
    /// everything was cached); the CLI draws it.
    public static func embed(
        _ texts: [String], with embedder: any SentenceEmbedder, cache: EmbeddingCache?,
        batchSize: Int = 64, progress: ((EmbeddingProgress) -> Void)? = nil
    ) throws -> [[Float]] {
        var missing: [String] = []
        var seen = Set<String>()
        for t in texts where cache?.lookup(t) == nil && seen.insert(t).inserted { missing.append(t) }
        var computed: [String: [Float]] = [:]
        if !missing.isEmpty {
            missing.sort { $0.utf8.count < $1.utf8.count }
            var done = 0
            progress?(EmbeddingProgress(done: 0, total: missing.count))
            while done < missing.count {
                let batch = Array(missing[done..<min(done + batchSize, missing.count)])
                let vectors = try embedder.embed(batch)
                for (t, v) in zip(batch, vectors) {
                    if let cache { cache.insert(t, v) } else { computed[t] = v }
                }
                done += batch.count
                progress?(EmbeddingProgress(done: done, total: missing.count))
                if done % (batchSize * 16) == 0 { try cache?.flush() }
            }
            try cache?.flush()
        }
        return texts.map { t in cache?.lookup(t) ?? computed[t]! }
    }
}
