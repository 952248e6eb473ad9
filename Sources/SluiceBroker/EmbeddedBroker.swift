import Foundation
import SluiceKafka

#if canImport(Glibc)
    import Glibc
#endif

/// A Tansu broker (in-memory storage) run as a child process on loopback, for
/// tests, the benchmark and the single-machine default.
///
/// Output goes to `logFile` in a temp directory, not a pipe: a pipe nobody
/// reads fills up and stalls the broker. Memory only: topics die with it.
///
/// Tansu 0.6 on SIGTERM waits up to 5 s for open client connections to end
/// (they rarely do: our own clients are still connected), and in memory it
/// holds nothing worth flushing, so `stop()` (and deinit) send SIGKILL at once. The child is tied to this
/// process (see `ParentTiedSpawner`): if we die, even by SIGKILL, the kernel
/// kills the broker too, so none is left running.
public final class EmbeddedBroker: @unchecked Sendable {
    public let port: Int
    public let executable: URL
    public let logFile: URL
    private let process: Process
    private let lock = NSLock()
    private var stopped = false

    /// "127.0.0.1:PORT"
    public var bootstrapServers: String { "127.0.0.1:\(port)" }

    /// Starts the broker and waits (up to `readyTimeout` s) until it answers a metadata request.
    /// - Parameters:
    ///   - executable: the `tansu` binary; nil looks for `.deps/bin/tansu` (`locateTansu`).
    ///     (`sluice` passes `$SLUICE_TANSU` here: a library reads no environment.)
    ///   - port: nil picks a free one.
    public init(executable: URL? = nil, port: Int? = nil, readyTimeout: TimeInterval = 15) throws {
        self.executable = try executable ?? Self.locateTansu()
        self.port = try port ?? Self.freePort()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-tansu-\(self.port)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logFile = directory.appendingPathComponent("tansu.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        defer { try? log.close() }  // the child keeps its own descriptor

        process = Process()
        let url = "tcp://127.0.0.1:\(self.port)"
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try ParentTiedSpawner.shared.run(
            process, executable: self.executable,
            arguments: [
                "broker", "--listener-url", url, "--advertised-listener-url", url, "--storage-engine",
                "memory://tansu/",
            ], deathSignal: "KILL")
        do {
            try waitUntilReady(timeout: readyTimeout)
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// The broker's process id (the same before and after setpriv execs Tansu).
    public var pid: Int32 { process.processIdentifier }

    /// SIGKILL and wait for exit. Idempotent. No SIGTERM first: with clients
    /// connected Tansu sits out its 5 s patience, and a grace period only made
    /// every caller wait for nothing.
    public func stop() {
        lock.lock()
        let first = !stopped
        stopped = true
        lock.unlock()
        guard first, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    public var isRunning: Bool { process.isRunning }

    /// The broker's resident memory (VmRSS) in bytes; nil once it is gone or where there is no /proc.
    /// Tansu's memory engine keeps every record, so this grows with what was produced.
    public var residentBytes: Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1024 }
        }
        return nil
    }

    private func waitUntilReady(timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !Self.canConnect(port: port) {
            guard process.isRunning else { throw failure("exited during start-up") }
            guard Date() < deadline else { throw failure("did not accept connections within \(timeout) s") }
            Thread.sleep(forTimeInterval: 0.02)
        }
        // Accepting TCP is not the same as answering Kafka requests.
        let admin = try KafkaAdmin(
            config: KafkaConfig(bootstrapServers: bootstrapServers, clientID: "sluice-embedded-probe"))
        let remainingMs = max(1_000, Int(deadline.timeIntervalSinceNow * 1000))
        do {
            _ = try admin.listTopics(timeoutMs: remainingMs)
        } catch {
            throw failure("accepted connections but did not answer a metadata request: \(error)")
        }
    }

    private func failure(_ what: String) -> KafkaError {
        let tail = (try? String(contentsOf: logFile, encoding: .utf8)).map { String($0.suffix(2_000)) } ?? ""
        return KafkaError(
            code: .brokerProcess,
            message: "Tansu broker (\(executable.path)) on port \(port) \(what). Log \(logFile.path):\n\(tail)")
    }
}
