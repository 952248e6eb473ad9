/// A label for zero-shot classification: its name and a few descriptions of what
/// belongs under it (short example-like phrases work best with sentence embedders).
public struct LabelSpec: Sendable, Equatable {
    public var name: String
    public var descriptions: [String]

    public init(name: String, descriptions: [String]) {
        self.name = name
        self.descriptions = descriptions
    }
}
