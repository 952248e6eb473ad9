/// A bounded set of recently seen keys, oldest forgotten first. Every event of a
/// micro-batch carries the same hop (worker, consumed_at, produced_at), so per-batch
/// figures count a batch once by remembering the batches already seen.
struct RecentKeys: Sendable {
    private var set: Set<String> = []
    private var order: [String] = []
    private var head = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// True when `key` was not seen recently (and remembers it).
    mutating func insert(_ key: String) -> Bool {
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
