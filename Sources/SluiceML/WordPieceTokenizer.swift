import Foundation

/// BERT's uncased tokenizer as HuggingFace's `BertNormalizer` +
/// `BertPreTokenizer` + `WordPiece` do it: clean text, space out CJK
/// ideographs, strip accents (NFD, drop Mn), lower-case, split on whitespace
/// and punctuation, then greedy longest-match-first WordPiece with `##`.
struct WordPieceTokenizer: Sendable {
    let vocab: [String: Int32]
    let cls: Int32, sep: Int32, unk: Int32
    let maxCharsPerWord = 100

    init(vocabPath: String) throws {
        guard let data = FileManager.default.contents(atPath: vocabPath) else {
            throw ModelError(path: vocabPath, problem: "cannot read vocabulary")
        }
        var vocab: [String: Int32] = [:]
        var id: Int32 = 0
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            let token = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            if !token.isEmpty, vocab[token] == nil { vocab[token] = id }
            id += 1
        }
        guard let cls = vocab["[CLS]"], let sep = vocab["[SEP]"], let unk = vocab["[UNK]"] else {
            throw ModelError(path: vocabPath, problem: "vocabulary lacks [CLS]/[SEP]/[UNK] (truncated file?)")
        }
        self.vocab = vocab
        self.cls = cls
        self.sep = sep
        self.unk = unk
    }

    /// Input ids: [CLS] wordpieces... [SEP], at most `maxTokens` in all.
    func encode(_ text: String, maxTokens: Int) -> [Int32] {
        var ids: [Int32] = [cls]
        let budget = maxTokens - 2
        for word in preTokenize(normalize(text)) {
            if ids.count - 1 >= budget { break }
            wordPiece(word, into: &ids)
        }
        if ids.count - 1 > budget { ids.removeLast(ids.count - 1 - budget) }
        ids.append(sep)
        return ids
    }

    /// BertNormalizer: clean text, CJK spacing, strip accents, lowercase.
    func normalize(_ text: String) -> String {
        var cleaned = String.UnicodeScalarView()
        for c in text.unicodeScalars {
            if c.value == 0 || c.value == 0xFFFD || Self.isControl(c) { continue }
            if Self.isWhitespace(c) {
                cleaned.append(" ")
                continue
            }
            if Self.isCJK(c) {
                cleaned.append(" ")
                cleaned.append(c)
                cleaned.append(" ")
                continue
            }
            cleaned.append(c)
        }
        let decomposed = String(cleaned).decomposedStringWithCanonicalMapping
        var stripped = String.UnicodeScalarView()
        for c in decomposed.unicodeScalars where c.properties.generalCategory != .nonspacingMark {
            stripped.append(c)
        }
        return String(stripped).lowercased()
    }

    /// BertPreTokenizer: split on whitespace, each punctuation char its own word.
    func preTokenize(_ text: String) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for c in text.unicodeScalars {
            if Self.isWhitespace(c) {
                if !current.isEmpty {
                    words.append(current)
                    current = []
                }
            } else if Self.isPunctuation(c) {
                if !current.isEmpty {
                    words.append(current)
                    current = []
                }
                words.append([c])
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Greedy longest-match-first; the whole word is [UNK] if any part fails.
    func wordPiece(_ word: [Unicode.Scalar], into ids: inout [Int32]) {
        if word.count > maxCharsPerWord {
            ids.append(unk)
            return
        }
        let mark = ids.count
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int32?
            while start < end {
                var piece = start > 0 ? "##" : ""
                piece.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocab[piece] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                ids.removeLast(ids.count - mark)
                ids.append(unk)
                return
            }
            ids.append(id)
            start = end
        }
    }

    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\n" || c == "\r" || c.properties.isWhitespace
    }

    static func isControl(_ c: Unicode.Scalar) -> Bool {
        if c == "\t" || c == "\n" || c == "\r" { return false }
        switch c.properties.generalCategory {
        // Cc, Cf, Co, Cs as HuggingFace tokenizers' `is_other()`; unassigned (Cn)
        // code points are kept (they become [UNK]), as the reference does.
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) {
            return true
        }
        switch c.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    static func isCJK(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
            0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }
}
