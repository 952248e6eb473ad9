import SluiceJSON

/// The alerts-topic record of one transition.
extension AlertTransition {
    public func json() -> JSONValue {
        .object([
            "rule": .string(rule), "state": .string(state.rawValue), "value": .double(value),
            "threshold": .double(threshold), "at": .int(at), "subject": subject.map(JSONValue.string) ?? .null,
        ])
    }
}
