/// Probabilities of each sentiment and score = P(positive) - P(negative), in [-1, 1].
public struct SentimentScore: Sendable, Equatable {
    public var negative: Float
    public var neutral: Float
    public var positive: Float
    public var score: Float { positive - negative }

    public init(negative: Float, neutral: Float, positive: Float) {
        self.negative = negative
        self.neutral = neutral
        self.positive = positive
    }
}
