import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A Tansu broker (in-memory storage) run as a child process on loopback, for
/// tests, the benchmark and the single-machine default.
///
/// Output goes to `logFile` in a temp directory, not a pipe: a pipe nobody
/// reads fills up and stalls the broker. `stop()` sends SIGTERM, then SIGKILL
/// after a grace period; deinit stops it too. Memory only: topics die with it.
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
        process.executableURL = self.executable
        let url = "tcp://127.0.0.1:\(self.port)"
        process.arguments = [
            "broker", "--listener-url", url, "--advertised-listener-url", url, "--storage-engine", "memory://tansu/",
        ]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        do {
            try waitUntilReady(timeout: readyTimeout)
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// SIGTERM, then SIGKILL if it has not exited after `gracePeriod` s; waits for exit. Idempotent.
    public func stop(gracePeriod: TimeInterval = 3) {
        lock.lock()
        let first = !stopped
        stopped = true
        lock.unlock()
        guard first, process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(gracePeriod)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    public var isRunning: Bool { process.isRunning }

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
