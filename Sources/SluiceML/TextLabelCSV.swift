import Foundation

/// Reads a `text,label` CSV (header required, columns in any order; RFC 4180 quotes),
/// the input of `sluice train classifier` and of the topic evaluation set.
public enum TextLabelCSV {
    public static func load(_ path: String) throws -> [(text: String, label: String)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ZeroShotError("\(path): cannot read the CSV file")
        }
        let records = TweetCorpus.parseCSV([UInt8](data)).map { $0.map { TweetCorpus.decode($0).text } }
        guard let header = records.first?.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }),
            let textColumn = header.firstIndex(of: "text"), let labelColumn = header.firstIndex(of: "label")
        else { throw ZeroShotError("\(path): the header must name columns 'text' and 'label'") }
        var rows: [(text: String, label: String)] = []
        for (n, record) in records.dropFirst().enumerated() {
            if record.count == 1 && record[0].isEmpty { continue }
            guard record.count > max(textColumn, labelColumn) else {
                throw ZeroShotError("\(path): row \(n + 2) has \(record.count) columns, expected \(header.count)")
            }
            rows.append((record[textColumn], record[labelColumn].trimmingCharacters(in: .whitespaces)))
        }
        return rows
    }
}
