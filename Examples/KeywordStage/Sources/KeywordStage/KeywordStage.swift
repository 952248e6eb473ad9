import SluiceEvents
import SluiceJSON
import SluicePipeline
import SluiceWorkflow

/// task `keywords`: adds `"keywords": [{"term": "swift", "count": 3}, ...]` to each
/// event, its top five terms (`Keywords.top`). An event with no term left once
/// stopwords are dropped has nothing to report: it goes to the dead-letter topic
/// with reason `no-keywords`, and the rest of its batch goes on.
public struct KeywordStage: Stage {
    /// The name workflow files use after `task:`.
    public static let task = StageTask("keywords")
    /// The dead-letter reason of an event without keywords.
    public static let noKeywords = "no-keywords"

    public let limit: Int

    public init(limit: Int = 5) { self.limit = limit }

    /// Reads only `text`; needs no embedding.
    public var requirement: StageRequirement { .text }

    public func process(_ batch: [Envelope]) -> [Result<Envelope, StageError>] {
        batch.map { event in
            let terms = Keywords.top(event.text, limit: limit)
            guard !terms.isEmpty else {
                return .failure(
                    StageError(reason: Self.noKeywords, detail: "no word outside the stopword list in the text"))
            }
            var event = event
            event.results["keywords"] = .array(
                terms.map { .object(["term": .string($0.word), "count": .int(Int64($0.count))]) })
            return .success(event)
        }
    }
}
