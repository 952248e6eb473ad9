/// Accuracy, per-class and macro F1, and the confusion matrix of predictions against
/// true labels. confusion[t][p] counts rows of true class t predicted as p.
public struct ClassificationMetrics: Sendable, Equatable {
    public let confusion: [[Int]]

    public init(confusion: [[Int]]) { self.confusion = confusion }

    public init(predicted: [Int], actual: [Int], classCount: Int) {
        precondition(predicted.count == actual.count, "one prediction per label")
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
        for (p, t) in zip(predicted, actual) { matrix[t][p] += 1 }
        confusion = matrix
    }

    /// From probability rows: the prediction is the most probable class.
    public init(probabilities: [[Float]], actual: [Int], classCount: Int) {
        self.init(predicted: probabilities.map(argmax), actual: actual, classCount: classCount)
    }

    public var count: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }

    public var accuracy: Double {
        guard count > 0 else { return 0 }
        return Double(confusion.indices.reduce(0) { $0 + confusion[$1][$1] }) / Double(count)
    }

    /// F1 of each class; 0 for a class never predicted and never present.
    public var perClassF1: [Double] {
        confusion.indices.map { c in
            let tp = Double(confusion[c][c])
            let predicted = Double(confusion.reduce(0) { $0 + $1[c] })
            let actual = Double(confusion[c].reduce(0, +))
            guard predicted + actual > 0 else { return 0 }
            return 2 * tp / (predicted + actual)
        }
    }

    public var macroF1: Double {
        let f1 = perClassF1
        return f1.isEmpty ? 0 : f1.reduce(0, +) / Double(f1.count)
    }
}

/// Index of the largest value (the first on ties).
public func argmax(_ values: [Float]) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}
