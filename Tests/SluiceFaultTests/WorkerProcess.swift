import Foundation
import SluiceTesting
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// `sluice worker` as a child process (optionally inside a network namespace), its
/// output in a log file the test can search. Needs the release build of `sluice`.
final class WorkerProcess: @unchecked Sendable {
    let process: Process
    let log: URL
    var pid: pid_t { process.processIdentifier }

    init(workflow: String, stage: String, brokers: String, namespace: String?, extra: [String]) throws {
        let binary = try Self.sluiceBinary()
        let arguments =
            [
                "worker", "--workflow", workflow, "--stage", stage, "--brokers", brokers, "--no-registry",
                "--no-control",
            ] + extra
        process = Process()
        if let namespace {
            // `ip netns exec` execs in place, so `pid` is the worker's own.
            process.executableURL = URL(fileURLWithPath: try NetworkLab.tool("ip"))
            process.arguments = ["netns", "exec", namespace, binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        }
        log = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fault-worker-\(stage)-\(UUID().uuidString).log")
        try Self.run(process, loggingTo: log)
    }

    /// The release build of `sluice`, which the fault tests run; a skip saying so when it is missing.
    static func sluiceBinary() throws -> String {
        let binary = PackagePaths.root.appendingPathComponent(".build/release/sluice").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw XCTSkip("\(binary) is not built; build the `sluice` product in release first")
        }
        return binary
    }

    /// Starts `process` with its output and errors in a new file `log`, and no input.
    static func run(_ process: Process, loggingTo log: URL) throws {
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }  // the child keeps its own descriptor
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
    func logLines(containing text: String) -> [String] {
        logText.split(separator: "\n").map(String.init).filter { $0.contains(text) }
    }

    /// Whether the worker still runs (else its exit status) and the last lines of its log
    /// other than dead letters: what a failed test prints, since CI keeps no log files.
    func postMortem(lines: Int = 25) -> String {
        let state = process.isRunning ? "running" : "exited with status \(process.terminationStatus)"
        let tail = logText.split(separator: "\n").filter { !$0.contains("dead letter from") }.suffix(lines)
        return "worker \(pid) \(state); last \(tail.count) log lines:\n" + tail.joined(separator: "\n")
    }

    func pause() { Glibc.kill(pid, SIGSTOP) }
    func resume() { Glibc.kill(pid, SIGCONT) }

    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(pid, SIGCONT)
        Glibc.kill(pid, SIGKILL)
        process.waitUntilExit()
    }
}
