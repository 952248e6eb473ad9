import Foundation
import SluiceJSON

/// A zero-shot label file: {"format": "sluice-labels/1", "temperature": 0.05,
/// "other_below": 0.25 (optional), "labels": [{"name": "...", "descriptions": ["...", ...],
/// "examples": ["...", ...] (optional)}, ...]}.
public struct LabelSet: Sendable, Equatable {
    public static let format = "sluice-labels/1"
    public var labels: [LabelSpec]
    public var temperature: Float
    public var otherBelow: Float?

    public init(labels: [LabelSpec], temperature: Float, otherBelow: Float? = nil) {
        self.labels = labels
        self.temperature = temperature
        self.otherBelow = otherBelow
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
            let examples = item["examples"]?.arrayValue?.compactMap(\.stringValue) ?? []
            guard !descriptions.isEmpty || !examples.isEmpty else {
                throw ZeroShotError("label '\(name)' has no 'descriptions' (or 'examples')")
            }
            labels.append(LabelSpec(name: name, descriptions: descriptions, examples: examples))
        }
        let temperature = Float(root["temperature"]?.doubleValue ?? 0.05)
        return LabelSet(
            labels: labels, temperature: temperature, otherBelow: root["other_below"]?.doubleValue.map(Float.init))
    }

    public func json() -> JSONValue {
        var root: [String: JSONValue] = [
            "format": .string(Self.format),
            "temperature": .double(Double(temperature)),
            "labels": .array(
                labels.map {
                    var label: [String: JSONValue] = [
                        "name": .string($0.name), "descriptions": .array($0.descriptions.map { .string($0) }),
                    ]
                    if !$0.examples.isEmpty { label["examples"] = .array($0.examples.map { .string($0) }) }
                    return .object(label)
                }),
        ]
        if let otherBelow { root["other_below"] = .double(Double(otherBelow)) }
        return .object(root)
    }
}
