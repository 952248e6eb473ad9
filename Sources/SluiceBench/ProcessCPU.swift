import Foundation

/// CPU seconds (user + system) a process has used, from Linux's /proc/<pid>/stat: the
/// figure the CPU budget of `sluice bench pipeline` is made of. Nil where /proc is not
/// there or the process has gone.
public enum ProcessCPU {
    public static func seconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            // The command name (field 2) is in parentheses and may hold spaces: count from after it.
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the name: state is field 3, utime 14 and stime 15, so indices 11 and 12 here.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    public static var ownSeconds: Double? { seconds(pid: getpid()) }
}

/// The CPU each process of a benchmark used over one timed span, by name.
public struct CPUBudget: Sendable {
    public struct Entry: Sendable {
        public var name: String
        public var seconds: Double
    }
    public var entries: [Entry]
    /// The span's wall clock.
    public var wallSeconds: Double

    /// Takes a first reading of every process now; `finish()` takes the second.
    public struct Meter: Sendable {
        let processes: [(name: String, pid: Int32)]
        let first: [Double?]
        let started: Date

        public init(_ processes: [(name: String, pid: Int32)]) {
            self.processes = processes
            first = processes.map { ProcessCPU.seconds(pid: $0.pid) }
            started = Date()
        }

        public func finish() -> CPUBudget {
            var entries: [Entry] = []
            for (process, before) in zip(processes, first) {
                guard let before, let after = ProcessCPU.seconds(pid: process.pid) else { continue }
                entries.append(Entry(name: process.name, seconds: after - before))
            }
            return CPUBudget(entries: entries, wallSeconds: Date().timeIntervalSince(started))
        }
    }

    public var totalSeconds: Double { entries.reduce(0) { $0 + $1.seconds } }
}
