import Foundation

/// Token buckets per client: `rate` requests a second (bursts of twice that) for each
/// token, or for each address when no valid token is presented; and, always on, a
/// bucket of failed tokens per address (10, one back every 6 s), past which that address
/// is answered 429 until it refills: guessing tokens is slowed to ten a minute.
/// At most `maxClients` buckets of each kind are kept; full ones are dropped first.
public final class ClientLimits: @unchecked Sendable {
    struct Bucket {
        var tokens: Double
        var at: Double

        mutating func take(capacity: Double, perSecond: Double, now: Double) -> Double? {
            tokens = min(capacity, tokens + (now - at) * perSecond)
            at = now
            guard tokens >= 1 else { return (1 - tokens) / perSecond }
            tokens -= 1
            return nil
        }

        func isFull(capacity: Double, perSecond: Double, now: Double) -> Bool {
            tokens + (now - at) * perSecond >= capacity
        }
    }

    /// Requests a second per client; 0: no limit.
    public let rate: Double
    static let failureBudget = 10.0
    static let failureRefillPerSecond = 1.0 / 6
    let maxClients: Int
    private let lock = NSLock()
    private var requests: [String: Bucket] = [:]
    private var failures: [String: Bucket] = [:]
    private let clock: @Sendable () -> Double

    public init(
        rate: Double, maxClients: Int = 10_000,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.rate = rate
        self.maxClients = maxClients
        self.clock = clock
    }

    /// Seconds to wait when `client` is past its rate now, nil when it may go on.
    public func admit(_ client: String) -> Double? {
        guard rate > 0 else { return nil }
        let now = clock()
        return lock.withLock {
            prune(&requests, capacity: 2 * rate, perSecond: rate, now: now)
            var bucket = requests[client] ?? Bucket(tokens: 2 * rate, at: now)
            let wait = bucket.take(capacity: 2 * rate, perSecond: rate, now: now)
            requests[client] = bucket
            return wait
        }
    }

    /// Seconds until `address` may present a token again, nil when it may now.
    public func blockedForFailures(_ address: String) -> Double? {
        let now = clock()
        return lock.withLock {
            guard let bucket = failures[address] else { return nil }
            var probe = bucket
            probe.tokens = min(Self.failureBudget, bucket.tokens + (now - bucket.at) * Self.failureRefillPerSecond)
            guard probe.tokens < 1 else { return nil }
            return (1 - probe.tokens) / Self.failureRefillPerSecond
        }
    }

    /// Counts a refused token from `address`.
    public func failed(_ address: String) {
        let now = clock()
        lock.withLock {
            prune(&failures, capacity: Self.failureBudget, perSecond: Self.failureRefillPerSecond, now: now)
            var bucket = failures[address] ?? Bucket(tokens: Self.failureBudget, at: now)
            _ = bucket.take(capacity: Self.failureBudget, perSecond: Self.failureRefillPerSecond, now: now)
            failures[address] = bucket
        }
    }

    /// Request buckets held now (for tests of the bound).
    public var clients: Int { lock.withLock { requests.count } }

    /// Past `maxClients`: drops the full buckets (they would start full again), and if
    /// that is not enough, all of them (many addresses at once: the bound is memory's).
    private func prune(_ buckets: inout [String: Bucket], capacity: Double, perSecond: Double, now: Double) {
        guard buckets.count >= maxClients else { return }
        buckets = buckets.filter { !$0.value.isFull(capacity: capacity, perSecond: perSecond, now: now) }
        if buckets.count >= maxClients { buckets = [:] }
    }
}
