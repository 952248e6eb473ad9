/// How long a worker waits for more records once a batch has its first one.
///
/// With a fixed wait (`batch: {size, wait_ms}`) it waits up to `wait_ms` for a full batch,
/// whatever the load: an idle stage holds every lone record that long.
///
/// With a latency goal (`batch: {max, latency_ms}`) it plans each batch, like Triton's
/// dynamic batcher but from measured figures rather than a fixed queue delay:
/// - the arrival rate comes from the records' own timestamps (when they were produced),
///   not from this worker's polls, which a backlog would cap at the worker's own pace;
/// - the *keep-up size* is the smallest batch whose cycle (step, produce, acknowledge,
///   commit) takes no longer than the stream needs to bring that many records:
///   n >= rate x cost(n), with cost(n) = fixed + perRecord x n fitted from the batches run;
/// - with fewer records than that in hand it waits for more, but only while the first
///   record's wait plus the predicted cycle stays within the goal; with enough it stops,
///   so a stage with spare capacity runs a lone record at once;
/// - a stage that is behind (its oldest record in hand is older than the goal) waits no
///   more: its batch is what the consumer has fetched already, up to `max`, so under a
///   backlog batches grow to `max` by themselves.
/// `wait_ms` caps every wait.
public struct BatchPlanner: Sendable {
    public let maxSize: Int
    public let waitCapMs: Double
    public let latencyGoalMs: Double?
    /// Records per second reaching this worker (smoothed over batches).
    public private(set) var arrivalRate = 0.0
    private var cost = CostFit()
    private var lastNewest: Int64?

    public init(maxSize: Int, waitMs: Int, latencyGoalMs: Int?) {
        self.maxSize = max(1, maxSize)
        self.waitCapMs = Double(max(0, waitMs))
        self.latencyGoalMs = latencyGoalMs.map(Double.init)
    }

    /// The predicted cycle of a batch of `count`, ms (0 until a batch has run).
    public func predictedCostMs(_ count: Int) -> Double { cost.predict(Double(count)) }

    /// The batch size that keeps up with the arrival rate (1...maxSize).
    public var keepUpSize: Int {
        let rate = arrivalRate / 1000  // per ms
        let perRecord = cost.perRecord
        let fixed = cost.fixed
        guard rate * perRecord < 1 else { return maxSize }
        let size = (rate * fixed / (1 - rate * perRecord) - 1e-9).rounded(.up)  // 40.000001 is 40
        return Int(min(Double(maxSize), max(1, size)))
    }

    /// How much longer to wait, ms, with `count` records in hand `waitedMs` after the first,
    /// the oldest of them produced `oldestAgeMs` ago (nil: no timestamp).
    public func remainingWaitMs(count: Int, waitedMs: Double, oldestAgeMs: Double? = nil) -> Double {
        guard count < maxSize else { return 0 }
        let capped = max(0, waitCapMs - waitedMs)
        guard let goal = latencyGoalMs else { return capped }
        // Behind: waiting would only add to a record that is late already; the backlog (what the
        // consumer has fetched) fills the batch without waiting.
        if let age = oldestAgeMs, age >= goal { return 0 }
        let target = keepUpSize
        guard count < target else { return 0 }
        return max(0, min(capped, goal - predictedCostMs(target) - waitedMs))
    }

    /// Records a batch of `count` whose newest record was produced at `newestTimestampMs`
    /// (epoch ms, nil: unknown) and whose cycle took `costMs`.
    public mutating func batchDone(count: Int, newestTimestampMs: Int64?, costMs: Double) {
        if let newest = newestTimestampMs {
            if let last = lastNewest {
                // Timestamps have 1 ms steps: records produced together count as 2,000/s each.
                let interval = max(0.5, Double(newest - last))
                let rate = Double(count) / (interval / 1000)
                arrivalRate = arrivalRate == 0 ? rate : 0.7 * arrivalRate + 0.3 * rate
            }
            lastNewest = max(newest, lastNewest ?? newest)
        }
        cost.add(size: Double(count), ms: costMs)
    }
}

/// cost(n) = fixed + perRecord x n, a least-squares line over exponentially weighted
/// (size, ms) pairs, so it follows a stage whose cost drifts (a new head, other load).
struct CostFit: Sendable {
    private var weight = 0.0, sumN = 0.0, sumT = 0.0, sumNN = 0.0, sumNT = 0.0
    private(set) var fixed = 0.0
    private(set) var perRecord = 0.0

    func predict(_ size: Double) -> Double { fixed + perRecord * size }

    mutating func add(size: Double, ms: Double) {
        let decay = 0.9
        weight = weight * decay + 1
        sumN = sumN * decay + size
        sumT = sumT * decay + ms
        sumNN = sumNN * decay + size * size
        sumNT = sumNT * decay + size * ms
        let meanN = sumN / weight
        let meanT = sumT / weight
        let variance = sumNN / weight - meanN * meanN
        if variance > 0.25 {
            perRecord = max(0, (sumNT / weight - meanN * meanT) / variance)
            fixed = max(0, meanT - perRecord * meanN)
        } else {
            // One batch size seen so far: the cost cannot be split, so count it all per record
            // (which never makes the planner wait for a batch it does not need).
            perRecord = meanT / max(1, meanN)
            fixed = 0
        }
    }
}
