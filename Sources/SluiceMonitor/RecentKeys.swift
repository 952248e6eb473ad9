/// A bounded set of recently seen keys, oldest forgotten first. Every event of a
/// micro-batch carries the same hop (worker, consumed_at, produced_at), so per-batch
/// figures count a batch once by remembering the batches already seen. The gateway
/// uses it for the ids it accepted and has not seen come out yet.
public struct RecentKeys: Sendable {
    private var set: Set<String> = []
    private var order: [String] = []
    private var head = 0
    public let capacity: Int

    public init(capacity: Int) { self.capacity = capacity }

    public func contains(_ key: String) -> Bool { set.contains(key) }

    /// Forgets `key` now. Its slot in the ring stays until it comes round again, so
    /// inserting the same key again before then may forget it early.
    public mutating func remove(_ key: String) { set.remove(key) }

    /// True when `key` was not seen recently (and remembers it).
    @discardableResult
    public mutating func insert(_ key: String) -> Bool {
        guard set.insert(key).inserted else { return false }
        if order.count < capacity {
            order.append(key)
        } else {
            set.remove(order[head])
            order[head] = key
            head = (head + 1) % capacity
        }
        return true
    }
}
