/// Events per second arriving on a topic, from the growth of the sum of its partitions'
/// high watermarks between probes.
///
/// This is the rate a stage's replica advice needs. The workflow's arrival rate (by the
/// events' created_at, as the monitor sees them finish) is no use for a stage that is
/// behind: events still waiting are not seen yet, so the rate reads low exactly when
/// more replicas are needed. The input topic's end moves at the rate events are
/// produced to it, however far behind the stage is.
public struct InputRate: Sendable, Equatable {
    /// (monitor time µs, sum of high watermarks), oldest first.
    private var samples: [(at: Int64, offsets: Int64)] = []
    /// Samples older than this are dropped (the longest window asked for, plus one probe).
    public let keepMicros: Int64

    public init(keepSeconds: Int) { keepMicros = Int64(keepSeconds) * 1_000_000 }

    public mutating func observe(offsets: Int64, at now: Int64) {
        // A topic recreated (or a Tansu restart) moves the end back: start over.
        if let last = samples.last, offsets < last.offsets { samples.removeAll() }
        samples.append((now, offsets))
        // Keep one sample at or before the window's start, so a full window can be measured.
        while samples.count > 2, samples[1].at <= now - keepMicros { samples.removeFirst() }
    }

    /// Events per second over the last `seconds` (nil: every sample kept); nil until two
    /// samples at least a second apart exist.
    public func rate(seconds: Int?, now: Int64) -> Double? {
        guard let newest = samples.last else { return nil }
        let start = seconds.map { now - Int64($0) * 1_000_000 } ?? .min
        // The newest sample at or before the window's start, else the oldest there is.
        let oldest = samples.last(where: { $0.at <= start }) ?? samples[0]
        let span = Double(newest.at - oldest.at) / 1e6
        guard span >= 1 else { return nil }
        return Double(newest.offsets - oldest.offsets) / span
    }

    public static func == (a: InputRate, b: InputRate) -> Bool {
        a.keepMicros == b.keepMicros && a.samples.map(\.at) == b.samples.map(\.at)
            && a.samples.map(\.offsets) == b.samples.map(\.offsets)
    }
}
