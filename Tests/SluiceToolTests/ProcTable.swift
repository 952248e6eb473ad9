import Foundation

/// Child processes and their state, read from /proc (Linux): how the tests find
/// the workers `sluice up` started and the broker `sluice broker` started.
enum ProcTable {
    /// Pids of the children of `pid`, over all its threads (each thread has its own list).
    static func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task -> [Int32] in
            let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
    }

    /// The command line of `pid` as its arguments; empty once it is gone.
    static func arguments(of pid: Int32) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Alive and not a zombie (a killed child stays a zombie until something reaps it).
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    /// Running `sluice worker` children of `pid` for `stage`.
    static func workers(of pid: Int32, stage: String) -> [Int32] {
        children(of: pid).filter { child in
            let arguments = arguments(of: child)
            guard isRunning(child), arguments.contains("worker"), let flag = arguments.firstIndex(of: "--stage") else {
                return false
            }
            return arguments.indices.contains(flag + 1) && arguments[flag + 1] == stage
        }
    }

    /// Waits up to `timeout` s for `condition`; true if it held in time.
    static func wait(_ timeout: TimeInterval, for condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return condition()
    }
}
