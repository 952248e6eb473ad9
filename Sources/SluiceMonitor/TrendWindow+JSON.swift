import SluiceJSON

/// The trends-topic record of one window of one label (`label` null: all posts).
extension TrendWindow {
    public func json() -> JSONValue {
        .object([
            "start": .int(start), "end": .int(end), "label": label.map(JSONValue.string) ?? .null,
            "count": .int(Int64(count)), "mean_score": .double(meanScore),
            "negative_share": .double(negativeShare), "positive_share": .double(positiveShare),
        ])
    }
}
