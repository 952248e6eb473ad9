/// A labelled corpus made ready for training: texts deduplicated after normalising,
/// then split train/validation/test (80/10/10 by default) within each label, by the
/// FNV-1a hash of the normalised text. The same corpus always gives the same splits.
public struct LabelledDataset: Sendable {
    public struct Example: Sendable, Equatable {
        public var text: String
        public var label: Int
        public var confidence: Float
    }

    public let labels: [String]
    public let train: [Example]
    public let validation: [Example]
    public let test: [Example]
    /// Rows dropped as duplicates of an earlier normalised text.
    public let duplicates: Int
    /// Duplicates whose label disagreed (the most confident row's label was kept).
    public let conflicts: Int

    /// - Parameters:
    ///   - rows: raw rows; labels not in `labels` are an error.
    ///   - subset: keep only this many texts (those with the smallest hashes) before splitting.
    public init(
        rows: [(text: String, label: String, confidence: Float)], labels: [String],
        fractions: (train: Double, validation: Double) = (0.8, 0.1), subset: Int? = nil
    ) throws {
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        var byKey: [String: (example: Example, hash: UInt64)] = [:]
        var order: [String] = []
        var duplicates = 0
        var conflicts = 0
        for row in rows {
            guard let label = index[row.label] else {
                throw ZeroShotError("unknown label '\(row.label)'; expected one of \(labels)")
            }
            let key = Self.normalise(row.text)
            if key.isEmpty { continue }
            let example = Example(text: row.text, label: label, confidence: row.confidence)
            if let existing = byKey[key] {
                duplicates += 1
                if existing.example.label != label { conflicts += 1 }
                if row.confidence > existing.example.confidence { byKey[key]!.example = example }
            } else {
                byKey[key] = (example, FNV1a.hash64(key))
                order.append(key)
            }
        }
        var keys = order.sorted { (byKey[$0]!.hash, $0) < (byKey[$1]!.hash, $1) }
        if let subset { keys = Array(keys.prefix(subset)) }

        var train: [Example] = []
        var validation: [Example] = []
        var test: [Example] = []
        for label in labels.indices {
            let group = keys.filter { byKey[$0]!.example.label == label }  // already in hash order
            let trainEnd = Int((Double(group.count) * fractions.train).rounded())
            let validationEnd = Int((Double(group.count) * (fractions.train + fractions.validation)).rounded())
            for (i, key) in group.enumerated() {
                let example = byKey[key]!.example
                if i < trainEnd {
                    train.append(example)
                } else if i < validationEnd {
                    validation.append(example)
                } else {
                    test.append(example)
                }
            }
        }
        self.labels = labels
        self.train = train
        self.validation = validation
        self.test = test
        self.duplicates = duplicates
        self.conflicts = conflicts
    }

    /// Lowercased, whitespace collapsed, trimmed: the key for deduplication and splitting.
    public static func normalise(_ text: String) -> String {
        text.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
