import Foundation
import SluiceBroker
import SluiceKafka
import SluiceSupervision

/// Starts `sluice worker` child processes (the same binary), keeps their logs
/// in one folder, restarts any that exit (with a backoff, see `RestartBackoff`),
/// and stops them with SIGTERM so each finishes and commits its batch.
/// `scale(stage:to:)` starts more workers of a stage, or retires the newest ones
/// with that same clean stop (the autoscaler's way down): a retired worker is not
/// restarted, and its exit is reported once it has gone.
///
/// `check()` is called from `sluice up`'s screen loop, about once a second:
/// it notices exits and starts due restarts. Every method runs on that one
/// thread; the lock only guards against a future caller on another one.
final class WorkerSupervisor: @unchecked Sendable {
    /// One worker position: stage plus index; its process changes on each restart.
    final class Slot {
        let stage: String
        let index: Int
        let log: URL
        /// Where the worker serves /metrics; nil: it serves none. Kept across restarts.
        let metricsPort: Int?
        var process: Process?
        var startedAt = Date()
        var backoff = RestartBackoff()
        var restartAt: Date?
        var lastExit: WorkerExit?
        var lastLines: [String] = []

        init(stage: String, index: Int, log: URL, metricsPort: Int?) {
            self.stage = stage
            self.index = index
            self.log = log
            self.metricsPort = metricsPort
        }

        var name: String { "\(stage)-\(index)" }
    }

    let logDirectory: URL
    private let workflowPath: String
    private let brokers: String
    private let passThrough: [String]
    private let model: String?
    /// The first worker's /metrics port, the next ones count up from it; nil: no worker serves /metrics.
    private let firstMetricsPort: Int?
    private let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    private let lock = NSLock()
    private var slots: [Slot] = []
    /// Workers told to stop by `scale(stage:to:)`, until they have exited.
    private var retiring: [Slot] = []
    private var stopping = false
    /// Where restart notices go (stdout in `sluice up`).
    private let say: (String) -> Void

    init(
        workflowPath: String, brokers: String, passThrough: [String], model: String?, firstMetricsPort: Int? = nil,
        say: @escaping (String) -> Void
    ) throws {
        self.firstMetricsPort = firstMetricsPort
        self.workflowPath = workflowPath
        self.brokers = brokers
        self.passThrough = passThrough
        self.model = model
        self.say = say
        logDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sluice-up-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
    }

    var count: Int { locked { slots.count } }

    /// Workers per stage and their restarts so far, for the screen.
    var perStage: [(stage: String, count: Int, restarts: Int)] {
        locked {
            var order: [String] = []
            var counts: [String: (Int, Int)] = [:]
            for slot in slots {
                if counts[slot.stage] == nil { order.append(slot.stage) }
                let (count, restarts) = counts[slot.stage] ?? (0, 0)
                counts[slot.stage] = (count + 1, restarts + slot.backoff.restarts)
            }
            return order.map { ($0, counts[$0]!.0, counts[$0]!.1) }
        }
    }

    /// Workers that keep dying soon after each start: name, crashes in a row, how it ended, its last log lines.
    var crashLooping: [(name: String, crashes: Int, exit: String, lines: [String])] {
        locked {
            slots.filter(\.backoff.isCrashLooping).map {
                ($0.name, $0.backoff.consecutiveCrashes, $0.lastExit?.description ?? "?", $0.lastLines)
            }
        }
    }

    func start(stage: String) throws {
        try locked {
            // The lowest index and port no live or retiring worker holds: a worker started
            // after a scale-down takes the retired one's name (and appends to its log).
            let taken = (slots + retiring).filter { $0.stage == stage }.map(\.index)
            let index = (0...).first { !taken.contains($0) }!
            let ports = Set((slots + retiring).compactMap(\.metricsPort))
            let slot = Slot(
                stage: stage, index: index, log: logDirectory.appendingPathComponent("\(stage)-\(index).log"),
                metricsPort: firstMetricsPort.map { first in (first...).first { !ports.contains($0) }! })
            if !FileManager.default.fileExists(atPath: slot.log.path) {
                FileManager.default.createFile(atPath: slot.log.path, contents: nil)
            }
            try launch(slot)
            slots.append(slot)
        }
    }

    /// Workers of `stage` now running or due to restart (retiring ones not counted).
    func count(of stage: String) -> Int { locked { slots.filter { $0.stage == stage }.count } }

    /// Brings `stage` to `target` workers: starts new ones, or sends SIGTERM to the newest
    /// ones, each of which finishes and commits its batch and leaves the group (a rebalance
    /// hands its partitions to the others). Does nothing once stopping.
    func scale(stage: String, to target: Int) throws {
        var current = count(of: stage)
        while current < target, !locked({ stopping }) {
            try start(stage: stage)
            current += 1
        }
        guard current > target else { return }
        locked {
            guard !stopping else { return }
            let newest = slots.filter { $0.stage == stage }.sorted { $0.index > $1.index }.prefix(current - target)
            for slot in newest {
                slots.removeAll { $0 === slot }
                slot.restartAt = nil
                if let process = slot.process, process.isRunning {
                    kill(process.processIdentifier, SIGTERM)
                    retiring.append(slot)
                }
            }
        }
    }

    /// Each worker's name and its /metrics address, in start order; empty when they serve none.
    var metricsAddresses: [(name: String, url: String)] {
        locked { slots.compactMap { slot in slot.metricsPort.map { (slot.name, "http://127.0.0.1:\($0)/metrics") } } }
    }

    /// Notices exited workers and restarts those whose backoff has passed. Does nothing once stopping.
    func check(now: Date = Date()) {
        lock.lock()
        defer { lock.unlock() }
        guard !stopping else { return }
        for slot in retiring where slot.process?.isRunning != true {
            let status = slot.process.map { exitOf($0).description } ?? "?"
            say("worker \(slot.name) stopped after scaling down (\(status)); its log: \(slot.log.path)")
        }
        retiring.removeAll { $0.process?.isRunning != true }
        for slot in slots {
            if let process = slot.process, !process.isRunning {
                let exit = exitOf(process)
                let ran = now.timeIntervalSince(slot.startedAt)
                let delay = slot.backoff.exited(afterRunning: ran)
                slot.process = nil
                slot.lastExit = exit
                slot.lastLines = LogTail.lines(ofFile: slot.log)
                slot.restartAt = now.addingTimeInterval(delay)
                // The last log line is usually the reason (a fatal error, a Kafka error) and is all a log reader sees.
                let said = slot.lastLines.last.map { "; it last said: \($0)" } ?? ""
                say(
                    "worker \(slot.name) exited (\(exit.description)) after \(Int(ran)) s; restarting in \(Int(delay)) s "
                        + "(restart \(slot.backoff.restarts)); its log: \(slot.log.path)\(said)")
            }
            if slot.process == nil, let due = slot.restartAt, due <= now {
                slot.restartAt = nil
                do {
                    try launch(slot, restart: slot.backoff.restarts)
                    say("worker \(slot.name) restarted (pid \(slot.process?.processIdentifier ?? 0))")
                } catch {
                    // Could not even spawn (binary gone, no pids): try again after the next backoff step.
                    slot.restartAt = now.addingTimeInterval(slot.backoff.exited(afterRunning: 0))
                    say("worker \(slot.name) could not be restarted (\(error)); trying again later")
                }
            }
        }
    }

    /// SIGTERM to every worker (each finishes and commits its batch), SIGKILL after `timeout`. No restart after this.
    func stopAll(timeout: TimeInterval = 30) {
        let processes: [Process] = locked {
            stopping = true
            return (slots + retiring).compactMap(\.process)
        }
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(timeout)
        for process in processes {
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    /// Starts the slot's worker, appending to its log. Tied to this process with
    /// SIGTERM: if `sluice up` is killed, its workers still finish their batch.
    private func launch(_ slot: Slot, restart: Int = 0) throws {
        var arguments = ["worker", "--workflow", workflowPath, "--stage", slot.stage, "--brokers", brokers]
        for property in passThrough { arguments += ["--property", property] }
        if let model { arguments += ["--model", model] }
        arguments += slot.metricsPort.map { ["--metrics-port", String($0)] } ?? ["--no-metrics"]
        let handle = try FileHandle(forWritingTo: slot.log)
        defer { try? handle.close() }  // the child keeps its own descriptor
        handle.seekToEndOfFile()
        if restart > 0 {
            handle.write(Data("--- sluice up: restart \(restart) of \(slot.name) at \(Date()) ---\n".utf8))
        }
        let process = Process()
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try ParentTiedSpawner.shared.run(process, executable: executable, arguments: arguments, deathSignal: "TERM")
        slot.process = process
        slot.startedAt = Date()
    }

    private func exitOf(_ process: Process) -> WorkerExit {
        process.terminationReason == .uncaughtSignal
            ? .signal(process.terminationStatus) : .status(process.terminationStatus)
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
