/// Running sums of one label in one open window.
struct TrendTally: Sendable {
    var count = 0
    var scoreSum = 0.0
    var negatives = 0
    var positives = 0

    mutating func add(_ reading: SentimentReading) {
        count += 1
        scoreSum += reading.score
        if reading.negative { negatives += 1 }
        if reading.positive { positives += 1 }
    }

    func window(start: Int64, end: Int64, label: String?) -> TrendWindow {
        let n = Double(Swift.max(1, count))
        return TrendWindow(
            start: start, end: end, label: label, count: count, meanScore: scoreSum / n,
            negativeShare: Double(negatives) / n, positiveShare: Double(positives) / n)
    }
}
