import Foundation
import SluiceKafka
import SluiceTesting
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// A Tansu broker (memory storage) that the fault tests start themselves rather than
/// through `EmbeddedBroker`, because they need its pid (to SIGSTOP it) and, for the
/// partition test, to run it inside a network namespace with its own listener address.
final class FaultBroker: @unchecked Sendable {
    let host: String
    let port: Int
    let process: Process
    let logFile: URL
    var bootstrapServers: String { "\(host):\(port)" }
    var pid: pid_t { process.processIdentifier }

    /// - Parameters:
    ///   - host: the address clients use (and Tansu advertises).
    ///   - listen: what Tansu binds; defaults to `host`.
    ///   - namespace: run it with `ip netns exec` inside this network namespace.
    init(host: String = "127.0.0.1", port: Int? = nil, listen: String? = nil, namespace: String? = nil) throws {
        let tansu = try Self.locateTansu()
        self.host = host
        self.port = try port ?? Self.freeLoopbackPort()
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("fault-tansu-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        defer { try? log.close() }
        let arguments = [
            "broker", "--listener-url", "tcp://\(listen ?? host):\(self.port)",
            "--advertised-listener-url", "tcp://\(host):\(self.port)", "--storage-engine", "memory://tansu/",
        ]
        process = Process()
        if let namespace {
            // `ip netns exec` execs the command in place: the pid is Tansu's own.
            process.executableURL = URL(fileURLWithPath: try NetworkLab.tool("ip"))
            process.arguments = ["netns", "exec", namespace, tansu] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: tansu)
            process.arguments = arguments
        }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        do {
            try waitUntilReady(timeout: 20)
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// Tansu ignores SIGTERM: only SIGKILL stops it (SIGCONT first in case a test paused it).
    func stop() {
        guard process.isRunning else { return }
        kill(pid, SIGCONT)
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    /// The last lines of Tansu's log (it logs errors only), for a failed test's report.
    func logTail(lines: Int = 15) -> String {
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    func pause() { kill(pid, SIGSTOP) }
    func resume() { kill(pid, SIGCONT) }

    private func waitUntilReady(timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        let admin = try KafkaAdmin(config: KafkaConfig(bootstrapServers: bootstrapServers, clientID: "fault-probe"))
        while true {
            guard process.isRunning else { throw FaultError("Tansu exited during start-up; log \(logFile.path)") }
            if (try? admin.listTopics(timeoutMs: 1_000)) != nil { return }
            guard Date() < deadline else {
                throw FaultError("Tansu did not answer within \(timeout) s; log \(logFile.path)")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    static func locateTansu() throws -> String {
        if let path = ProcessInfo.processInfo.environment["SLUICE_TANSU"], !path.isEmpty { return path }
        let path = PackagePaths.root.appendingPathComponent(".deps/bin/tansu").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw XCTSkip("no Tansu broker at \(path) (run `make setup`)")
        }
        return path
    }

    /// Binds port 0 on loopback and returns what the kernel picked.
    static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FaultError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
        }
        guard bound == 0 else { throw FaultError("bind() failed: errno \(errno)") }
        var length = size
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct FaultError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
