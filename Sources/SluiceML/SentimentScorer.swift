/// Sentiment of texts: an embedder and a head whose labels include negative, neutral
/// and positive (in any order).
public final class SentimentScorer: Sendable {
    public static let labels = ["negative", "neutral", "positive"]
    public let embedder: any SentenceEmbedder
    public let headFile: HeadFile
    private let columns: [Int]  // index of negative, neutral, positive in the head's output

    public init(embedder: any SentenceEmbedder, headFile: HeadFile) throws(HeadFileError) {
        guard headFile.model == embedder.modelID else {
            throw .modelMismatch(path: "sentiment head", expected: headFile.model, loaded: embedder.modelID)
        }
        var columns: [Int] = []
        for name in Self.labels {
            guard let i = headFile.labels.firstIndex(of: name) else {
                throw HeadFileError(
                    "the head's labels \(headFile.labels) lack '\(name)'; a sentiment head needs \(Self.labels)")
            }
            columns.append(i)
        }
        self.embedder = embedder
        self.headFile = headFile
        self.columns = columns
    }

    public convenience init(embedder: any SentenceEmbedder, headPath: String) throws(HeadFileError) {
        try self.init(embedder: embedder, headFile: HeadFile.load(headPath, for: embedder))
    }

    public func score(_ texts: [String]) throws -> [SentimentScore] {
        score(embeddings: try embedder.embed(texts))
    }

    public func score(embeddings: [[Float]]) -> [SentimentScore] {
        headFile.head.predict(embeddings).map { p in
            SentimentScore(negative: p[columns[0]], neutral: p[columns[1]], positive: p[columns[2]])
        }
    }
}
