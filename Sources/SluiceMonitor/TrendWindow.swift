/// Sentiment of one label (or of all posts, `label == nil`) over one closed tumbling window.
public struct TrendWindow: Sendable, Equatable {
    /// Epoch µs, [start, end).
    public var start: Int64
    public var end: Int64
    public var label: String?
    public var count: Int
    public var meanScore: Double
    /// Share of posts whose argmax is negative (see `SentimentReading`).
    public var negativeShare: Double
    public var positiveShare: Double

    public init(
        start: Int64, end: Int64, label: String?, count: Int, meanScore: Double, negativeShare: Double,
        positiveShare: Double
    ) {
        self.start = start
        self.end = end
        self.label = label
        self.count = count
        self.meanScore = meanScore
        self.negativeShare = negativeShare
        self.positiveShare = positiveShare
    }
}
