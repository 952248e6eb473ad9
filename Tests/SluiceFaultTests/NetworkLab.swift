import Foundation
import XCTest

/// Two network namespaces the test creates, one "host" for the broker and one for a
/// worker, joined by a veth pair; a second veth pair joins the test's own (root)
/// namespace to the broker's, so the test can feed inputs and read outputs in-process.
///
///     root 198.18.N.5 ==== 198.18.N.6 [broker ns] 198.18.N.1 ==== 198.18.N.2 [worker ns]
///
/// Tansu advertises 198.18.N.6: the root namespace reaches it directly and the worker
/// namespace through one host route via 198.18.N.1, so cutting the broker-worker link
/// partitions only the worker. All addresses come from 198.18.0.0/15, the RFC 2544
/// benchmarking range, which no real network routes: traffic can only go to hosts
/// inside these namespaces (or loopback), never to a machine outside the test.
///
/// Names carry the creating pid (`sft<pid>-...`), so a concurrent run is never touched
/// and leftovers of a crashed run (its pid gone) are removed at the next start.
final class NetworkLab: @unchecked Sendable {
    static let prefix = "sft"
    let tag: String
    let brokerNamespace: String
    let workerNamespace: String
    let octet: Int
    /// Where Tansu listens and what it advertises (the broker end of the root link).
    var brokerAddress: String { "198.18.\(octet).6" }
    private let rootLink: String
    private let brokerToWorker: String
    private var destroyed = false

    /// Throws XCTSkip when not root or `ip` is missing.
    init(index: Int) throws {
        guard getuid() == 0 else { throw XCTSkip("network namespaces need root") }
        _ = try Self.tool("ip")
        Self.removeStale()
        let pid = ProcessInfo.processInfo.processIdentifier
        tag = "\(Self.prefix)\(pid)x\(index)"
        brokerNamespace = "\(tag)-b"
        workerNamespace = "\(tag)-w"
        rootLink = "\(tag)r"  // interface names: at most 15 characters
        brokerToWorker = "\(tag)k"
        octet = try Self.freeOctet(seed: Int(pid) &* 7 &+ index)
        do {
            try build()
        } catch {
            destroy()
            throw error
        }
    }

    private func build() throws {
        let n = octet
        try Self.ip(["netns", "add", brokerNamespace])
        try Self.ip(["netns", "add", workerNamespace])
        try Self.ip(["-n", brokerNamespace, "link", "set", "lo", "up"])
        try Self.ip(["-n", workerNamespace, "link", "set", "lo", "up"])
        // root <-> broker
        try Self.ip(["link", "add", rootLink, "type", "veth", "peer", "name", "\(tag)b"])
        try Self.ip(["link", "set", "\(tag)b", "netns", brokerNamespace])
        try Self.ip(["addr", "add", "198.18.\(n).5/30", "dev", rootLink])
        try Self.ip(["link", "set", rootLink, "up"])
        try Self.ip(["-n", brokerNamespace, "addr", "add", "198.18.\(n).6/30", "dev", "\(tag)b"])
        try Self.ip(["-n", brokerNamespace, "link", "set", "\(tag)b", "up"])
        // broker <-> worker: the link the test cuts
        try Self.ip(["link", "add", brokerToWorker, "type", "veth", "peer", "name", "\(tag)w"])
        try Self.ip(["link", "set", brokerToWorker, "netns", brokerNamespace])
        try Self.ip(["link", "set", "\(tag)w", "netns", workerNamespace])
        try Self.ip(["-n", brokerNamespace, "addr", "add", "198.18.\(n).1/30", "dev", brokerToWorker])
        try Self.ip(["-n", brokerNamespace, "link", "set", brokerToWorker, "up"])
        try Self.ip(["-n", workerNamespace, "addr", "add", "198.18.\(n).2/30", "dev", "\(tag)w"])
        try Self.ip(["-n", workerNamespace, "link", "set", "\(tag)w", "up"])
        try Self.ip(["-n", workerNamespace, "route", "add", "\(brokerAddress)/32", "via", "198.18.\(n).1"])
    }

    /// Partition: the broker's end of the worker link goes down. The worker's packets are
    /// dropped silently (its end only loses carrier, its route stays), like a dead switch.
    func cut() throws { try Self.ip(["-n", brokerNamespace, "link", "set", brokerToWorker, "down"]) }
    func restore() throws { try Self.ip(["-n", brokerNamespace, "link", "set", brokerToWorker, "up"]) }

    /// Delay and loss on both ends of the worker link; XCTSkip when the kernel has no netem.
    func degrade(delayMs: Int, lossPercent: Int) throws {
        _ = try Self.tool("tc")
        for (namespace, device) in [(brokerNamespace, brokerToWorker), (workerNamespace, "\(tag)w")] {
            let result = try Self.run(
                "tc",
                [
                    "-n", namespace, "qdisc", "add", "dev", device, "root", "netem", "delay", "\(delayMs)ms",
                    "loss", "\(lossPercent)%",
                ])
            if result.status != 0 {
                if result.output.contains("unknown") {
                    throw XCTSkip("tc netem is not available (this kernel has no sch_netem): \(result.output)")
                }
                throw FaultError("tc netem failed: \(result.output)")
            }
        }
    }

    func clearDegradation() throws {
        for (namespace, device) in [(brokerNamespace, brokerToWorker), (workerNamespace, "\(tag)w")] {
            _ = try Self.run("tc", ["-n", namespace, "qdisc", "del", "dev", device, "root"])
        }
    }

    /// Drops `percent` of the worker namespace's packets each way with iptables' `statistic`
    /// match: packet loss on kernels without netem (no delay then). XCTSkip without iptables-legacy.
    func dropPackets(percent: Int) throws {
        guard (try? Self.tool("iptables-legacy")) != nil else {
            throw XCTSkip(
                "`iptables-legacy` (Debian's iptables package; scripts/setup.sh installs it) is not installed")
        }
        for chain in ["INPUT", "OUTPUT"] {
            let result = try Self.run(
                "ip",
                [
                    "netns", "exec", workerNamespace, "iptables-legacy", "-A", chain, "-m", "statistic", "--mode",
                    "random",
                    "--probability", String(Double(percent) / 100), "-j", "DROP",
                ])
            guard result.status == 0 else { throw FaultError("iptables statistic drop failed: \(result.output)") }
        }
    }

    func clearPacketDrops() throws {
        _ = try Self.run("ip", ["netns", "exec", workerNamespace, "iptables-legacy", "-F"])
    }

    /// Deleting the namespaces deletes the veth ends inside them and so their peers in root. Idempotent.
    func destroy() {
        guard !destroyed else { return }
        destroyed = true
        for namespace in [brokerNamespace, workerNamespace] { _ = try? Self.run("ip", ["netns", "del", namespace]) }
        _ = try? Self.run("ip", ["link", "del", rootLink])
    }

    deinit { destroy() }

    // MARK: helpers

    /// Namespaces and root links of ours whose creating process is gone.
    static func removeStale() {
        guard let namespaces = try? run("ip", ["netns", "list"]).output,
            let links = try? run("ip", ["-o", "link", "show"]).output
        else { return }
        for line in namespaces.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            if isStale(name) { _ = try? run("ip", ["netns", "del", name]) }
        }
        for line in links.split(separator: "\n") {
            let fields = line.split(separator: ":")
            guard fields.count > 1 else { continue }
            let name = String(fields[1].trimmingCharacters(in: .whitespaces).split(separator: "@").first ?? "")
            if isStale(name) { _ = try? run("ip", ["link", "del", name]) }
        }
    }

    private static func isStale(_ name: String) -> Bool {
        guard name.hasPrefix(prefix) else { return false }
        let digits = name.dropFirst(prefix.count).prefix { $0.isNumber }
        guard let pid = Int32(digits), !digits.isEmpty else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// A third octet whose 198.18.N.0/24 no interface of the root namespace uses yet.
    private static func freeOctet(seed: Int) throws -> Int {
        let used = try run("ip", ["-o", "-4", "addr", "show"]).output
        for step in 0..<240 {
            let candidate = 10 + (abs(seed) + step) % 240
            if !used.contains("198.18.\(candidate).") { return candidate }
        }
        throw FaultError("no free 198.18.N.0/24 for the test network")
    }

    static func tool(_ name: String) throws -> String {
        for directory in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw XCTSkip("`\(name)` (iproute2) is not installed")
    }

    static func ip(_ arguments: [String]) throws {
        let result = try run("ip", arguments)
        guard result.status == 0 else { throw FaultError("ip \(arguments.joined(separator: " ")): \(result.output)") }
    }

    @discardableResult
    static func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try tool(name))
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
