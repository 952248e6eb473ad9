import SluiceEvents
import SluiceJSON

/// Envelopes with hand-set timestamps, so every figure can be worked out by hand.
enum Fixtures {
    /// A whole second (epoch µs), so bucket edges fall on round numbers.
    static let t0: Int64 = 1_700_000_000_000_000
    static let second: Int64 = 1_000_000

    struct HopTimes {
        var stage: String
        var consumed: Int64
        var produced: Int64
        var batch: Int = 1
        var process: Int64
        var worker = "w1"
    }

    static func envelope(id: String = "e", created: Int64, _ hops: [HopTimes], results: [String: JSONValue] = [:])
        -> Envelope
    {
        Envelope(
            id: id, createdAt: created, text: "t", results: results,
            hops: hops.map {
                Hop(
                    stage: $0.stage, worker: $0.worker, consumedAt: $0.consumed, producedAt: $0.produced,
                    batchSize: $0.batch, processMicros: $0.process)
            })
    }

    /// One stage `features`: created at `created`, consumed 1 ms later, produced after `process` µs.
    static func single(id: String = "e", created: Int64, process: Int64, batch: Int = 1, worker: String = "w1")
        -> Envelope
    {
        envelope(
            id: id, created: created,
            [
                HopTimes(
                    stage: "features", consumed: created + 1_000, produced: created + 1_000 + process, batch: batch,
                    process: process, worker: worker)
            ])
    }

    static func scored(label: String, negative: Bool, producedAt: Int64, score: Double? = nil) -> Envelope {
        let sentiment: JSONValue =
            negative
            ? .object([
                "negative": .double(0.8), "neutral": .double(0.15), "positive": .double(0.05),
                "score": .double(score ?? -0.75),
            ])
            : .object([
                "negative": .double(0.1), "neutral": .double(0.3), "positive": .double(0.6),
                "score": .double(score ?? 0.5),
            ])
        return envelope(
            created: producedAt - 5_000,
            [HopTimes(stage: "sentiment", consumed: producedAt - 2_000, produced: producedAt, process: 1_000)],
            results: ["label": .object(["name": .string(label)]), "sentiment": sentiment])
    }
}
