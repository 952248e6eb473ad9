/// Embeds texts through a cache: only texts not cached go to the embedder, in batches
/// sorted by length (less padding), with a progress bar; new embeddings are written
/// back every few batches so an interrupted run keeps its work.
public enum CachedEmbedding {
    public static func embed(
        _ texts: [String], with embedder: any SentenceEmbedder, cache: EmbeddingCache?,
        batchSize: Int = 64, progressLabel: String? = "embedding"
    ) throws -> [[Float]] {
        var missing: [String] = []
        var seen = Set<String>()
        for t in texts where cache?.lookup(t) == nil && seen.insert(t).inserted { missing.append(t) }
        var computed: [String: [Float]] = [:]
        if !missing.isEmpty {
            missing.sort { $0.utf8.count < $1.utf8.count }
            var bar = progressLabel.map { ProgressBar(label: $0, total: missing.count) }
            var done = 0
            while done < missing.count {
                let batch = Array(missing[done..<min(done + batchSize, missing.count)])
                let vectors = try embedder.embed(batch)
                for (t, v) in zip(batch, vectors) {
                    if let cache { cache.insert(t, v) } else { computed[t] = v }
                }
                done += batch.count
                bar?.update(done)
                if done % (batchSize * 16) == 0 { try cache?.flush() }
            }
            try cache?.flush()
            bar?.finish()
        }
        return texts.map { t in cache?.lookup(t) ?? computed[t]! }
    }
}
