import Foundation

/// How many of the machine's cores sat idle lately, from /proc/stat: the headroom
/// `sluice up --autoscale` needs before it starts another worker on the same machine.
///
/// Workers on one machine share its cores. Past the point where they are all busy, a
/// worker more makes every worker of a CPU-bound stage slower: its per-event time rises,
/// so the advice rises with it, and the stage would climb to its maximum while getting no
/// faster (seen on 2 cores: the embed stage went 1 -> 4 workers at 150 events/s while its
/// per-event time went 5 -> 16 ms). The autoscaler therefore adds a worker only while
/// this much idle CPU is there for it.
public struct IdleCores: Sendable {
    /// (when, idle ticks, all ticks) per sample, over the last `spanSeconds`.
    private var samples: [(at: Date, idle: UInt64, total: UInt64)] = []
    public let spanSeconds: TimeInterval
    public let cores: Int

    public init(spanSeconds: TimeInterval = 5, cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.spanSeconds = spanSeconds
        self.cores = cores
    }

    /// Reads /proc/stat now; idle cores over the kept span, nil until two samples (or off Linux).
    public mutating func sample(now: Date = Date()) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        return observe(statLine: text.split(separator: "\n").first.map(String.init) ?? "", at: now)
    }

    /// One `cpu ...` line of /proc/stat (user nice system idle iowait irq softirq steal ...).
    public mutating func observe(statLine: String, at now: Date) -> Double? {
        let fields = statLine.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard statLine.hasPrefix("cpu "), fields.count >= 5 else { return nil }
        // Idle and waiting on I/O are time a worker could have had; steal (taken by the
        // hypervisor) was not.
        let idle = fields[3] + fields[4]
        let total = fields.prefix(8).reduce(0, +)
        samples.append((now, idle, total))
        while samples.count > 2, now.timeIntervalSince(samples[1].at) >= spanSeconds { samples.removeFirst() }
        guard let first = samples.first, let last = samples.last, last.total > first.total else { return nil }
        return Double(last.idle - first.idle) / Double(last.total - first.total) * Double(cores)
    }
}
