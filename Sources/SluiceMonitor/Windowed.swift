/// A value kept per time bucket in a ring, plus a running total since start. A
/// sliding window of W seconds at `now` is the merge of the buckets whose index lies
/// in the last W buckets up to and including the one `now` falls in (the current,
/// partial bucket included), so window edges are exact to one bucket (1 s).
struct Windowed<Value: WindowValue>: Sendable {
    private struct Slot: Sendable {
        var index: Int64
        var value: Value
    }

    let bucketMicros: Int64
    private var slots: [Slot?]
    private(set) var total: Value = .empty

    /// `buckets`: how many buckets the ring keeps, at least the longest window's.
    init(bucketMicros: Int64, buckets: Int) {
        self.bucketMicros = bucketMicros
        slots = Array(repeating: nil, count: Swift.max(1, buckets))
    }

    /// Adds to the bucket of `time` (and the total). Times older than the ring's span
    /// behind the newest bucket in the slot only count in the total.
    mutating func update(at time: Int64, _ body: (inout Value) -> Void) {
        body(&total)
        let index = Self.floorDiv(time, bucketMicros)
        let position = Int(((index % Int64(slots.count)) + Int64(slots.count)) % Int64(slots.count))
        if let slot = slots[position], slot.index > index { return }
        if slots[position]?.index != index { slots[position] = Slot(index: index, value: .empty) }
        body(&slots[position]!.value)
    }

    /// The merge of the buckets covering the last `seconds` seconds up to `now`.
    func window(seconds: Int, now: Int64) -> Value {
        let current = Self.floorDiv(now, bucketMicros)
        let buckets = Swift.max(1, Int64(seconds) * 1_000_000 / bucketMicros)
        let lowest = current - buckets + 1
        var merged = Value.empty
        for case let slot? in slots where slot.index >= lowest && slot.index <= current {
            merged.add(slot.value)
        }
        return merged
    }

    /// The window, or the total since start when `seconds` is nil.
    func value(seconds: Int?, now: Int64) -> Value {
        guard let seconds else { return total }
        return window(seconds: seconds, now: now)
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
