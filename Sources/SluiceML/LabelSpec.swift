/// A label for zero-shot classification: its name, a few descriptions of what belongs
/// under it (short example-like phrases work best with sentence embedders) and,
/// optionally, real texts that belong under it (few-shot `examples`).
public struct LabelSpec: Sendable, Equatable {
    public var name: String
    public var descriptions: [String]
    public var examples: [String]

    public init(name: String, descriptions: [String], examples: [String] = []) {
        self.name = name
        self.descriptions = descriptions
        self.examples = examples
    }
}
