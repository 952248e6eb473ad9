import Foundation

/// Starts `sluice worker` child processes (the same binary), keeps their logs
/// in one folder, and stops them with SIGTERM so each finishes and commits its batch.
final class WorkerSupervisor: @unchecked Sendable {
    let logDirectory: URL
    private let workflowPath: String
    private let brokers: String
    private let passThrough: [String]
    private let model: String?
    private let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    private var processes: [(stage: String, process: Process)] = []

    init(workflowPath: String, brokers: String, passThrough: [String], model: String?) throws {
        self.workflowPath = workflowPath
        self.brokers = brokers
        self.passThrough = passThrough
        self.model = model
        logDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sluice-up-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
    }

    var count: Int { processes.count }

    /// Workers per stage, for the screen.
    var perStage: [(stage: String, count: Int)] {
        var order: [String] = []
        var counts: [String: Int] = [:]
        for (stage, _) in processes {
            if counts[stage] == nil { order.append(stage) }
            counts[stage, default: 0] += 1
        }
        return order.map { ($0, counts[$0]!) }
    }

    func start(stage: String) throws {
        let process = Process()
        process.executableURL = executable
        var arguments = ["worker", "--workflow", workflowPath, "--stage", stage, "--brokers", brokers]
        for property in passThrough { arguments += ["--property", property] }
        if let model { arguments += ["--model", model] }
        process.arguments = arguments
        let log = logDirectory.appendingPathComponent("\(stage)-\(processes.filter { $0.stage == stage }.count).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        processes.append((stage, process))
    }

    /// Workers that ended on their own, as "stage (exit N)".
    var exited: [String] {
        processes.filter { !$0.process.isRunning }.map { "\($0.stage) (exit \($0.process.terminationStatus))" }
    }

    func stopAll(timeout: TimeInterval = 30) {
        for (_, process) in processes where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(timeout)
        for (_, process) in processes {
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }
}
