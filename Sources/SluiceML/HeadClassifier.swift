/// An embedder followed by a trained head, checked to be meant for each other.
public final class HeadClassifier: TextClassifier {
    public let embedder: any SentenceEmbedder
    public let headFile: HeadFile

    /// Refuses a head trained for another model than `embedder`'s.
    public init(embedder: any SentenceEmbedder, headFile: HeadFile) throws(HeadFileError) {
        guard headFile.model == embedder.modelID else {
            throw .modelMismatch(path: "head", expected: headFile.model, loaded: embedder.modelID)
        }
        self.embedder = embedder
        self.headFile = headFile
    }

    public convenience init(embedder: any SentenceEmbedder, headPath: String) throws(HeadFileError) {
        try self.init(embedder: embedder, headFile: HeadFile.load(headPath, for: embedder))
    }

    public var labels: [String] { headFile.labels }

    public func classify(_ texts: [String]) throws -> [[Float]] {
        headFile.head.predict(try embedder.embed(texts))
    }
}
