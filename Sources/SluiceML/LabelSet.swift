import Foundation
import SluiceJSON

/// A zero-shot label file: {"format": "sluice-labels/1", "temperature": 0.05,
/// "labels": [{"name": "...", "descriptions": ["...", ...]}, ...]}.
public struct LabelSet: Sendable, Equatable {
    public static let format = "sluice-labels/1"
    public var labels: [LabelSpec]
    public var temperature: Float

    public init(labels: [LabelSpec], temperature: Float) {
        self.labels = labels
        self.temperature = temperature
    }

    public static func load(_ path: String) throws -> LabelSet {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ZeroShotError("\(path): cannot read the label file")
        }
        do {
            return try parse(try JSONValue.parse([UInt8](data)))
        } catch let error as JSONError {
            throw ZeroShotError("\(path): not valid JSON (\(error.description))")
        } catch let error as ZeroShotError {
            throw ZeroShotError("\(path): \(error.description)")
        }
    }

    public static func parse(_ root: JSONValue) throws -> LabelSet {
        if let format = root["format"]?.stringValue, format != Self.format {
            throw ZeroShotError("unsupported format '\(format)'; expected '\(Self.format)'")
        }
        guard let items = root["labels"]?.arrayValue, !items.isEmpty else {
            throw ZeroShotError("'labels' must be a non-empty array")
        }
        var labels: [LabelSpec] = []
        for (i, item) in items.enumerated() {
            guard let name = item["name"]?.stringValue, !name.isEmpty else {
                throw ZeroShotError("labels[\(i)] has no 'name'")
            }
            let descriptions = item["descriptions"]?.arrayValue?.compactMap(\.stringValue) ?? []
            guard !descriptions.isEmpty else { throw ZeroShotError("label '\(name)' has no 'descriptions'") }
            labels.append(LabelSpec(name: name, descriptions: descriptions))
        }
        let temperature = Float(root["temperature"]?.doubleValue ?? 0.05)
        return LabelSet(labels: labels, temperature: temperature)
    }

    public func json() -> JSONValue {
        .object([
            "format": .string(Self.format),
            "temperature": .double(Double(temperature)),
            "labels": .array(
                labels.map {
                    .object(["name": .string($0.name), "descriptions": .array($0.descriptions.map { .string($0) })])
                }),
        ])
    }
}
