import Foundation

/// One labelled row of the tweet corpus (`sentiment,confidence,text`).
public struct LabelledText: Sendable, Equatable {
    public let text: String
    public let label: String
    public let confidence: Double

    public init(text: String, label: String, confidence: Double) {
        self.text = text
        self.label = label
        self.confidence = confidence
    }
}

public struct CorpusError: Error, CustomStringConvertible {
    public let description: String
}

/// Minimal lenient reader for the labelled tweet corpus that `make setup`
/// puts at `.deps/corpus/tweets.csv`. RFC 4180 quoting (commas, newlines and
/// doubled quotes inside quoted fields); bytes that are not valid UTF-8 are
/// replaced with U+FFFD and counted.
public enum TweetCorpus {
    /// `SLUICE_CORPUS` if set, else `.deps/corpus/tweets.csv` found walking up
    /// from the working directory or the executable's directory.
    public static func defaultPath() -> String? {
        if let env = ProcessInfo.processInfo.environment["SLUICE_CORPUS"], !env.isEmpty { return env }
        return DepsLocator.find(".deps/corpus/tweets.csv")
    }

    /// Rows in file order, and how many invalid UTF-8 sequences were replaced.
    /// Rows without a text column are skipped; an unparsable confidence is 0.
    public static func load(path: String? = nil) throws -> (rows: [LabelledText], replacedBytes: Int) {
        guard let file = path ?? defaultPath() else {
            throw CorpusError(
                description: "tweet corpus not found (.deps/corpus/tweets.csv); run `make setup` or pass a path")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CorpusError(description: "cannot read tweet corpus at \(file); run `make setup`")
        }
        let records = parseCSV([UInt8](data))
        var rows: [LabelledText] = []
        rows.reserveCapacity(records.count)
        var replaced = 0
        for (index, record) in records.enumerated() {
            if index == 0, let first = record.first, decode(first).text.lowercased() == "sentiment" { continue }
            guard record.count >= 3 else { continue }
            let label = decode(record[0])
            let conf = decode(record[1])
            // A text holding unquoted commas: keep everything after the second comma.
            var textBytes = record[2]
            for extra in record.dropFirst(3) {
                textBytes.append(UInt8(ascii: ","))
                textBytes += extra
            }
            let text = decode(textBytes)
            replaced += label.replaced + conf.replaced + text.replaced
            rows.append(
                LabelledText(
                    text: text.text, label: label.text,
                    confidence: Double(conf.text.trimmingCharacters(in: .whitespaces)) ?? 0))
        }
        return (rows, replaced)
    }

    /// Decodes UTF-8 leniently; `replaced` counts invalid sequences (each became U+FFFD).
    public static func decode(_ bytes: [UInt8]) -> (text: String, replaced: Int) {
        var scalars = String.UnicodeScalarView()
        var replaced = 0
        var parser = Unicode.UTF8.ForwardParser()
        var it = bytes.makeIterator()
        loop: while true {
            switch parser.parseScalar(from: &it) {
            case .valid(let enc): scalars.append(Unicode.UTF8.decode(enc))
            case .error:
                replaced += 1
                scalars.append("\u{FFFD}")
            case .emptyInput: break loop
            }
        }
        return (String(scalars), replaced)
    }

    /// Splits CSV bytes into records of raw field bytes (quotes removed).
    public static func parseCSV(_ bytes: [UInt8]) -> [[[UInt8]]] {
        let quote = UInt8(ascii: "\"")
        let comma = UInt8(ascii: ",")
        let lf = UInt8(ascii: "\n")
        let cr = UInt8(ascii: "\r")
        var records: [[[UInt8]]] = []
        var record: [[UInt8]] = []
        var field: [UInt8] = []
        var inQuotes = false
        var fieldStarted = false
        var i = 0
        let n = bytes.count
        func endRecord() {
            record.append(field)
            field = []
            if !(record.count == 1 && record[0].isEmpty) { records.append(record) }
            record = []
        }
        while i < n {
            let b = bytes[i]
            if inQuotes {
                if b == quote {
                    if i + 1 < n && bytes[i + 1] == quote {
                        field.append(quote)
                        i += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.append(b)
                }
            } else if b == quote && !fieldStarted {
                inQuotes = true
                fieldStarted = true
            } else if b == comma {
                record.append(field)
                field = []
                fieldStarted = false
            } else if b == lf {
                endRecord()
                fieldStarted = false
            } else if b == cr {
                // dropped; CRLF ends the record at the LF
            } else {
                field.append(b)
                fieldStarted = true
            }
            i += 1
        }
        if !field.isEmpty || !record.isEmpty { endRecord() }
        return records
    }
}
