import Foundation

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
    ///   - executable: the `tansu` binary; else `$SLUICE_TANSU`; else `.deps/bin/tansu` found by walking up.
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
                "broker", "--listener-url", url, "--advertised-listener-url", url, "--storage-engine", "memory://tansu/",
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
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: bootstrapServers, clientID: "sluice-embedded-probe"))
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

    // MARK: Locating the binary and a port

    static func locateTansu() throws -> URL {
        let fileManager = FileManager.default
        if let fromEnvironment = ProcessInfo.processInfo.environment["SLUICE_TANSU"], !fromEnvironment.isEmpty {
            guard fileManager.isExecutableFile(atPath: fromEnvironment) else {
                throw KafkaError(code: .brokerProcess, message: "SLUICE_TANSU=\(fromEnvironment) is not an executable file")
            }
            return URL(fileURLWithPath: fromEnvironment)
        }
        let starts = [
            URL(fileURLWithPath: fileManager.currentDirectoryPath),
            Bundle.main.executableURL?.deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent(),
        ].compactMap { $0 }
        for start in starts {
            var directory = start.standardizedFileURL
            while true {
                let candidate = directory.appendingPathComponent(".deps/bin/tansu")
                if fileManager.isExecutableFile(atPath: candidate.path) { return candidate }
                let parent = directory.deletingLastPathComponent()
                if parent.path == directory.path { break }
                directory = parent
            }
        }
        throw KafkaError(
            code: .brokerProcess,
            message: "cannot find the Tansu broker: no .deps/bin/tansu above \(starts.map(\.path)) and SLUICE_TANSU "
                + "is not set. Run `make setup` (scripts/setup.sh) in the repository to install it.")
    }

    /// Binds port 0 on loopback and returns what the kernel picked.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw KafkaError(code: .brokerProcess, message: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw KafkaError(code: .brokerProcess, message: "bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }
}
