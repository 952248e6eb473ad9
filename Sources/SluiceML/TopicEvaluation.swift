import Foundation
import SluiceJSON

/// A classifier's answers against hand labels: accuracy, each label's precision and
/// recall, and the confusion matrix (rows: the true label, columns: the answer).
/// A true label the classifier cannot answer (not among `labels`) is a miss and is
/// listed in `unanswerable`.
public struct TopicEvaluation: Sendable {
    public struct LabelFigures: Sendable {
        public let label: String
        public let precision: Double  // of the texts answered `label`, the share that are
        public let recall: Double  // of the texts that are `label`, the share answered so
        public let support: Int  // texts whose true label is `label`
    }

    public let total: Int
    public let correct: Int
    /// The classifier's labels, then any true label it cannot answer.
    public let rowLabels: [String]
    public let answerLabels: [String]
    /// confusion[i][j]: texts of true label rowLabels[i] answered answerLabels[j].
    public let confusion: [[Int]]
    public let perLabel: [LabelFigures]
    public let unanswerable: [String]

    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    public init(gold: [String], predicted: [String], labels: [String]) {
        precondition(gold.count == predicted.count)
        total = gold.count
        correct = zip(gold, predicted).filter { $0.0 == $0.1 }.count
        answerLabels = labels
        unanswerable = Array(Set(gold).subtracting(labels)).sorted()
        rowLabels = labels + unanswerable
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: labels.count), count: rowLabels.count)
        let row = Dictionary(uniqueKeysWithValues: rowLabels.enumerated().map { ($1, $0) })
        let column = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        for (g, p) in zip(gold, predicted) {
            if let i = row[g], let j = column[p] { matrix[i][j] += 1 }
        }
        confusion = matrix
        perLabel = labels.enumerated().map { j, label in
            let truePositives = matrix[j][j]
            let answered = matrix.reduce(0) { $0 + $1[j] }
            let support = matrix[j].reduce(0, +)
            return LabelFigures(
                label: label, precision: answered == 0 ? 0 : Double(truePositives) / Double(answered),
                recall: support == 0 ? 0 : Double(truePositives) / Double(support), support: support)
        }
    }

    public func text(source: String) -> String {
        var out = String(format: "%@: accuracy %.3f (%d of %d)\n", source, accuracy, correct, total)
        if !unanswerable.isEmpty {
            out += "true labels the classifier cannot answer (each a miss): \(unanswerable.joined(separator: ", "))\n"
        }
        out += "\nlabel         precision  recall  support\n"
        for f in perLabel {
            out += String(
                format: "%@ %9.3f  %6.3f  %7d\n", f.label.padding(toLength: 12, withPad: " ", startingAt: 0),
                f.precision, f.recall, f.support)
        }
        let width = max(6, (answerLabels.map(\.count).max() ?? 0) + 1)
        out += "\nconfusion (rows: true label, columns: answer)\n"
        out += "".padding(toLength: 12, withPad: " ", startingAt: 0)
        out += answerLabels.map { $0.leftPadded(width) }.joined() + "\n"
        for (i, label) in rowLabels.enumerated() {
            out += label.padding(toLength: 12, withPad: " ", startingAt: 0)
            out += confusion[i].map { String($0).leftPadded(width) }.joined() + "\n"
        }
        return out
    }

    public func json() -> JSONValue {
        .object([
            "accuracy": .double(accuracy), "correct": .int(Int64(correct)), "total": .int(Int64(total)),
            "labels": .array(
                perLabel.map {
                    .object([
                        "label": .string($0.label), "precision": .double($0.precision), "recall": .double($0.recall),
                        "support": .int(Int64($0.support)),
                    ])
                }),
            "confusion": .object(
                Dictionary(
                    uniqueKeysWithValues: rowLabels.enumerated().map { i, label in
                        (
                            label,
                            JSONValue.object(
                                Dictionary(
                                    uniqueKeysWithValues: answerLabels.enumerated().map {
                                        ($1, JSONValue.int(Int64(confusion[i][$0])))
                                    }))
                        )
                    })),
            "unanswerable": .array(unanswerable.map(JSONValue.string)),
        ])
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? " " + self : String(repeating: " ", count: width - count) + self
    }
}
