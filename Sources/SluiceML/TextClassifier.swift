/// Anything that gives, per text, a probability distribution over named labels:
/// a zero-shot classifier or an embedder with a trained head.
public protocol TextClassifier: Sendable {
    var labels: [String] { get }
    /// One distribution per text, in order, aligned with `labels`.
    func classify(_ texts: [String]) throws -> [[Float]]
}
