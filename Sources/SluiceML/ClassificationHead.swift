/// Maps sentence embeddings to a probability distribution over labels. Both
/// `SoftmaxRegressionHead` and `MLPHead` conform; callers only need `predict`.
public protocol ClassificationHead: Sendable {
    var kind: HeadKind { get }
    var inputDimension: Int { get }
    var classCount: Int { get }
    /// Probabilities for a row-major batch x[rows × inputDimension], flat [rows × classCount].
    func predict(flat x: [Float], rows: Int) -> [Float]
}

extension ClassificationHead {
    /// One probability vector (summing to 1) per embedding, in order. Works in batches
    /// so large inputs never build one huge matrix.
    public func predict(_ embeddings: [[Float]], batchSize: Int = 1024) -> [[Float]] {
        var out: [[Float]] = []
        out.reserveCapacity(embeddings.count)
        var start = 0
        while start < embeddings.count {
            let end = min(start + batchSize, embeddings.count)
            var x = [Float]()
            x.reserveCapacity((end - start) * inputDimension)
            for row in embeddings[start..<end] {
                precondition(
                    row.count == inputDimension, "embedding has \(row.count) values; the head expects \(inputDimension)"
                )
                x.append(contentsOf: row)
            }
            let p = predict(flat: x, rows: end - start)
            for r in 0..<(end - start) { out.append(Array(p[r * classCount..<(r + 1) * classCount])) }
            start = end
        }
        return out
    }

    /// Probabilities for every row of a feature set (dense or sparse), in batches.
    public func predict(rows features: some FeatureRows, batchSize: Int = 1024) -> [[Float]] {
        precondition(
            features.dimension == inputDimension,
            "features have \(features.dimension) columns; the head expects \(inputDimension)")
        var out: [[Float]] = []
        var start = 0
        var buffer = [Float]()
        while start < features.count {
            let end = min(start + batchSize, features.count)
            features.fill(rows: Array(start..<end), into: &buffer)
            let p = predict(flat: buffer, rows: end - start)
            for r in 0..<(end - start) { out.append(Array(p[r * classCount..<(r + 1) * classCount])) }
            start = end
        }
        return out
    }
}
