import Foundation

/// The built `keywords-worker` as a child process, its output in a log file.
/// The executable sits beside the test bundle: `swift test` builds both.
final class WorkerProcess {
    let process = Process()
    let log: URL

    init(arguments: [String]) throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("keywords-worker")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            // A failure, not a skip: a test that quietly skipped would pass CI without running the worker.
            throw Missing(description: "no \(binary.path): build the package first (`make example-test` does)")
        }
        log = FileManager.default.temporaryDirectory.appendingPathComponent("keywords-worker-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// The exit status once it exits by itself, or nil when it still runs after `timeout` s.
    func exitStatus(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// SIGTERM, then the exit status, or nil when it did not exit within `timeout` s.
    func terminate(timeout: TimeInterval) -> Int32? {
        kill(process.processIdentifier, SIGTERM)
        return exitStatus(timeout: timeout)
    }

    /// Only for tearDown: a worker that a failed test left running.
    func kill9() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
