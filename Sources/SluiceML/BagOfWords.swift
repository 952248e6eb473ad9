import Foundation

/// The bag-of-words baseline's features: lowercase word tokens, a vocabulary from the
/// training texts (min count, capped by frequency), sublinear TF-IDF, L2-normalised rows.
public struct BagOfWords: Sendable {
    public let vocabulary: [String: Int32]
    public let idf: [Float]
    public var dimension: Int { idf.count }

    /// Lowercase runs of letters, digits, apostrophes, and a leading # or @.
    public static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        for ch in text.lowercased() {
            if ch.isLetter || ch.isNumber || ch == "'" || ((ch == "#" || ch == "@") && current.isEmpty) {
                current.append(ch)
            } else if !current.isEmpty {
                tokens.append(current)
                current = ""
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "'")) }.filter { !$0.isEmpty }
    }

    public init(fitting texts: [String], minCount: Int = 2, maxVocabulary: Int = 10_000) {
        var documentFrequency: [String: Int] = [:]
        for text in texts {
            for token in Set(Self.tokenize(text)) { documentFrequency[token, default: 0] += 1 }
        }
        let kept = documentFrequency.filter { $0.value >= minCount }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(maxVocabulary)
        var vocabulary: [String: Int32] = [:]
        var idf: [Float] = []
        let n = Float(texts.count)
        for (i, entry) in kept.enumerated() {
            vocabulary[entry.key] = Int32(i)
            idf.append(logf((1 + n) / (1 + Float(entry.value))) + 1)
        }
        self.vocabulary = vocabulary
        self.idf = idf
    }

    /// One sparse row per text: (1 + log tf) · idf, scaled to unit length.
    public func features(_ texts: [String]) -> SparseRows {
        let rows = texts.map { text -> [(column: Int32, value: Float)] in
            var counts: [Int32: Int] = [:]
            for token in Self.tokenize(text) {
                if let column = vocabulary[token] { counts[column, default: 0] += 1 }
            }
            var row = counts.sorted { $0.key < $1.key }.map {
                (column: $0.key, value: (1 + logf(Float($0.value))) * idf[Int($0.key)])
            }
            let norm = row.reduce(0) { $0 + $1.value * $1.value }.squareRoot()
            if norm > 0 { for i in row.indices { row[i].value /= norm } }
            return row
        }
        return SparseRows(dimension: dimension, rows: rows)
    }
}
