import Foundation
import SluiceBroker
import SluicePipeline

/// How a benchmark runs a workflow's stages: each a `StageWorker` on a thread of the bench
/// itself, or each its own `sluice worker` process, as `sluice up` runs them.
public enum WorkerMode: Sendable, Equatable {
    case inProcess
    /// `executable worker --workflow FILE --stage NAME ...`
    case processes(executable: URL)

    public var description: String {
        switch self {
        case .inProcess: return "one in-process worker per stage"
        case .processes: return "one `sluice worker` process per stage"
        }
    }
}

/// A worker the benchmark started: it can wait for partitions and be stopped (once or more).
protocol BenchWorker: AnyObject {
    func waitForAssignment(timeout: TimeInterval) throws
    func stop()
    /// Dead letters it sent; for a process, read from its last log line, so after `stop()`.
    var deadLettered: Int { get }
    /// Its own process, for the CPU budget; nil for a worker on a thread of the bench.
    var pid: Int32? { get }
}

/// A `StageWorker` running on its own thread.
final class ThreadedWorker: BenchWorker, @unchecked Sendable {
    let worker: StageWorker
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stopped = false

    init(worker: StageWorker) {
        self.worker = worker
        let thread = Thread { [worker, finished] in
            try? worker.run()
            finished.signal()
        }
        thread.start()
    }

    func waitForAssignment(timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while worker.counters.snapshot.assigned.isEmpty {
            guard Date() < deadline else {
                throw PipelineError("worker \(worker.options.workerID) got no partitions within \(Int(timeout)) s")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    func stop() {
        guard
            lock.withLock({ () -> Bool in
                defer { stopped = true }
                return !stopped
            })
        else { return }
        worker.stop()
        _ = finished.wait(timeout: .now() + 30)
    }

    var deadLettered: Int { worker.counters.snapshot.deadLettered }
    var pid: Int32? { nil }
}

/// `sluice worker` as a child process (tied to the bench: it gets SIGTERM if the bench dies),
/// its output in a temporary log file that tells when it holds partitions.
final class ProcessWorker: BenchWorker, @unchecked Sendable {
    let stage: String
    let process = Process()
    let log: URL

    init(
        executable: URL, workflowFile: String, stage: String, brokers: String, properties: [String: String],
        extra: [String] = []
    ) throws {
        self.stage = stage
        log = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(stage)-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        var arguments = [
            "worker", "--workflow", workflowFile, "--stage", stage, "--brokers", brokers, "--no-registry",
            "--no-control", "--no-metrics",
        ]
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) { arguments += ["-X", "\(name)=\(value)"] }
        arguments += extra
        try ParentTiedSpawner.shared.run(process, executable: executable, arguments: arguments, deathSignal: "TERM")
    }

    var pid: Int32? { process.processIdentifier }

    private var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    func waitForAssignment(timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !logText.contains("rebalance: assigned([") || logText.contains("rebalance: assigned([])") {
            guard process.isRunning else {
                throw PipelineError(
                    "the worker of stage \(stage) exited (status \(process.terminationStatus)); its log:\n"
                        + logText.split(separator: "\n").suffix(15).joined(separator: "\n"))
            }
            guard Date() < deadline else {
                throw PipelineError("the worker of stage \(stage) got no partitions within \(Int(timeout)) s")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// SIGTERM: it finishes and commits its batch and leaves the group; SIGKILL after 30 s.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: log)
    }

    /// From "stopped after N records in M batches (K dead letters)".
    var deadLettered: Int {
        guard let line = logText.split(separator: "\n").last(where: { $0.contains("dead letters)") }),
            let open = line.lastIndex(of: "(")
        else { return 0 }
        return Int(line[line.index(after: open)...].prefix { $0.isNumber }) ?? 0
    }
}
