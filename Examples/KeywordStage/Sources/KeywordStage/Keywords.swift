/// The top terms of a text: lowercased, split on anything that is not a letter,
/// stopwords dropped, counted, the most frequent first and ties in alphabetical
/// order, at most `limit`. Pure, so the ranking is tested without a broker.
public enum Keywords {
    /// Words too common to say what a text is about. Small on purpose: an example,
    /// not a linguistic resource. "s" and "t" are what "it's" and "don't" leave
    /// once apostrophes split words.
    public static let stopwords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "i", "in", "is",
        "it", "its", "me", "my", "not", "of", "on", "or", "our", "s", "so", "t", "that", "the", "this", "to",
        "was", "we", "were", "will", "with", "you", "your",
    ]

    public struct Term: Equatable, Sendable, CustomStringConvertible {
        public let word: String
        public let count: Int

        public init(_ word: String, _ count: Int) {
            self.word = word
            self.count = count
        }

        public var description: String { "\(word)×\(count)" }
    }

    public static func top(_ text: String, limit: Int = 5) -> [Term] {
        var counts: [String: Int] = [:]
        for word in text.lowercased().split(whereSeparator: { !$0.isLetter }) where !stopwords.contains(String(word)) {
            counts[String(word), default: 0] += 1
        }
        let ranked = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        return ranked.prefix(limit).map { Term($0.key, $0.value) }
    }
}
