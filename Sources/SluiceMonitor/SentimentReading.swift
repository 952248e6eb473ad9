import SluiceEvents

/// What the trend aggregator reads from a finished envelope: its label, its score and
/// whether it counts as negative or positive.
///
/// Negative means the sentiment head's argmax is `negative` (its probability above both
/// `neutral` and `positive`), not a threshold on the score: the score mixes the two ends
/// (positive - negative), so a post torn between them would read neutral-ish while a
/// threshold would need tuning per head; the argmax is the head's own verdict.
struct SentimentReading: Sendable, Equatable {
    var label: String?
    var score: Double
    var negative: Bool
    var positive: Bool

    /// nil when the envelope has no sentiment result.
    init?(_ envelope: Envelope) {
        guard let sentiment = envelope.results["sentiment"],
            let negative = sentiment["negative"]?.doubleValue,
            let neutral = sentiment["neutral"]?.doubleValue,
            let positive = sentiment["positive"]?.doubleValue
        else { return nil }
        label = envelope.results["label"]?["name"]?.stringValue
        score = sentiment["score"]?.doubleValue ?? (positive - negative)
        self.negative = negative > neutral && negative > positive
        self.positive = positive > neutral && positive > negative
    }
}
