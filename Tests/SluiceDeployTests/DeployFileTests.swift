import Foundation
import SluiceTesting
import XCTest
import Yams

/// Checks compose/ without a Docker engine: the compose and Prometheus files
/// parse and have the expected services; every `sluice` command line in the
/// compose file is accepted by the built binary; the Dockerfile builds the way
/// the README and Makefile do.
final class DeployFileTests: XCTestCase {
    static let sluiceServices = ["topics", "features", "topics-stage", "sentiment", "monitor", "gateway"]
    static let workflowFile = "topics/sentiment-monitoring.yaml"

    // MARK: (a) compose/docker-compose.yml and compose/prometheus.yml

    func testComposeDeclaresTheServices() throws {
        let services = try Self.services()
        XCTAssertEqual(
            Set(services.keys),
            ["kafka", "topics", "features", "topics-stage", "sentiment", "monitor", "gateway", "prometheus"])

        let kafka = try XCTUnwrap(services["kafka"])
        let image = try XCTUnwrap(kafka["image"] as? String)
        XCTAssertTrue(image.hasPrefix("apache/kafka:"), image)
        let env = try XCTUnwrap(kafka["environment"] as? [String: Any])
        XCTAssertEqual(env["KAFKA_PROCESS_ROLES"] as? String, "broker,controller", "KRaft, one node")
        let advertised = try XCTUnwrap(env["KAFKA_ADVERTISED_LISTENERS"] as? String)
        XCTAssertTrue(advertised.contains("PLAINTEXT://kafka:9092"), advertised)
        XCTAssertNotNil(kafka["healthcheck"], "the topics job waits for kafka to be healthy")

        for name in Self.sluiceServices {
            let service = try XCTUnwrap(services[name], name)
            XCTAssertEqual(service["image"] as? String, "sluice:local", name)
            let build = try XCTUnwrap(service["build"] as? [String: Any], "\(name): build")
            XCTAssertEqual(build["dockerfile"] as? String, "compose/Dockerfile", name)
            XCTAssertEqual(build["context"] as? String, "..", name)
            let environment = try XCTUnwrap(service["environment"] as? [String: Any], "\(name): environment")
            XCTAssertEqual(environment["SLUICE_BROKERS"] as? String, "kafka:9092", name)
            let command = try Self.command(of: service)
            XCTAssertEqual(Self.value(after: "--brokers", in: command), "kafka:9092", name)
        }

        XCTAssertEqual(
            try Self.command(of: services["topics"]!),
            ["topics", "apply", Self.workflowFile, "--brokers", "kafka:9092"])
        XCTAssertEqual(try Self.dependsOn(services["topics"]!)["kafka"], "service_healthy")

        // The three stages: one service each, after the topics job.
        let stageOfService = ["features": "features", "topics-stage": "topics", "sentiment": "sentiment"]
        for (service, stage) in stageOfService {
            let spec = services[service]!
            let command = try Self.command(of: spec)
            XCTAssertEqual(command.first, "worker", service)
            XCTAssertEqual(Self.value(after: "--workflow", in: command), Self.workflowFile, service)
            XCTAssertEqual(Self.value(after: "--stage", in: command), stage, service)
            XCTAssertEqual(try Self.dependsOn(spec)["topics"], "service_completed_successfully", service)
        }
        let deploy = try XCTUnwrap(services["features"]?["deploy"] as? [String: Any])
        XCTAssertEqual(deploy["replicas"] as? Int, 2)

        let monitor = try Self.command(of: services["monitor"]!)
        XCTAssertEqual(monitor.first, "monitor")
        XCTAssertEqual(Self.value(after: "--workflow", in: monitor), Self.workflowFile)
        XCTAssertEqual(Self.value(after: "--metrics-host", in: monitor), "0.0.0.0")
        XCTAssertTrue(monitor.contains("--json"))
        XCTAssertEqual(try Self.dependsOn(services["monitor"]!)["topics"], "service_completed_successfully")

        let gateway = try Self.command(of: services["gateway"]!)
        XCTAssertEqual(gateway.first, "gateway")
        XCTAssertEqual(Self.value(after: "--workflow", in: gateway), Self.workflowFile)
        XCTAssertEqual(Self.value(after: "--host", in: gateway), "0.0.0.0", "reachable from outside its container")
        XCTAssertFalse(gateway.contains("--token"), "a token on the command line is visible to `ps`")
        XCTAssertFalse(gateway.contains("--insecure"), "the exposed gateway checks tokens")
        let gatewayEnvironment = try XCTUnwrap(services["gateway"]?["environment"] as? [String: Any])
        XCTAssertEqual(
            gatewayEnvironment["SLUICE_GATEWAY_TOKENS"] as? String,
            "${SLUICE_GATEWAY_TOKEN:?set SLUICE_GATEWAY_TOKEN} write",
            "every /v1 route needs a token when exposed; compose refuses to start without one")
        let gatewayPort = try XCTUnwrap(Self.value(after: "--port", in: gateway))
        XCTAssertEqual(
            services["gateway"]?["ports"] as? [String], ["127.0.0.1:\(gatewayPort):\(gatewayPort)"],
            "plain HTTP is published on the host's loopback only")
        XCTAssertTrue(gateway.contains("--behind-tls-proxy"), "the gateway states how TLS is handled")
        XCTAssertEqual(
            Self.value(after: "--public-host", in: gateway), "gateway", "the name Prometheus scrapes it by")
        XCTAssertEqual(try Self.dependsOn(services["gateway"]!)["topics"], "service_completed_successfully")

        let prometheus = try XCTUnwrap(services["prometheus"])
        XCTAssertTrue((prometheus["image"] as? String ?? "").hasPrefix("prom/prometheus"))
        let volumes = try XCTUnwrap(prometheus["volumes"] as? [String])
        XCTAssertTrue(
            volumes.contains { $0.hasPrefix("./prometheus.yml:/etc/prometheus/prometheus.yml") }, "\(volumes)")
    }

    /// The stages named in compose are the workflow's stages, and no stage has
    /// more replicas than its input topic has partitions (the extra ones would idle).
    func testComposeStagesMatchTheWorkflow() throws {
        let services = try Self.services()
        let workflow = try XCTUnwrap(try Yams.load(yaml: Self.read(Self.workflowFile)) as? [String: Any])
        let stages = try XCTUnwrap(workflow["stages"] as? [[String: Any]])
        let topics = try XCTUnwrap(workflow["topics"] as? [String: Any])
        var composeStages: [String: Int] = [:]
        for (_, service) in services {
            // Not XCTUnwrap: kafka and prometheus have no (list) command.
            let command = (service["command"] as? [Any] ?? []).map { "\($0)" }
            guard command.first == "worker", let stage = Self.value(after: "--stage", in: command)
            else { continue }
            let replicas = (service["deploy"] as? [String: Any])?["replicas"] as? Int ?? 1
            composeStages[stage, default: 0] += replicas
        }
        XCTAssertEqual(Set(composeStages.keys), Set(stages.compactMap { $0["name"] as? String }))
        for stage in stages {
            let name = stage["name"] as! String
            let input = try XCTUnwrap(stage["input"] as? String)
            let partitions = (topics[input] as? [String: Any])?["partitions"] as? Int ?? 1
            XCTAssertLessThanOrEqual(
                composeStages[name] ?? 0, partitions, "\(name): more replicas than \(input) has partitions")
        }
    }

    func testPrometheusScrapesTheMonitorsPort() throws {
        let services = try Self.services()
        let monitor = try Self.command(of: services["monitor"]!)
        let port = try XCTUnwrap(Self.value(after: "--metrics-port", in: monitor))
        let ports = try XCTUnwrap(services["monitor"]?["ports"] as? [String])
        XCTAssertTrue(ports.contains("\(port):\(port)"), "\(ports)")

        let config = try XCTUnwrap(try Yams.load(yaml: Self.read("compose/prometheus.yml")) as? [String: Any])
        let jobs = try XCTUnwrap(config["scrape_configs"] as? [[String: Any]])
        let targets = jobs.flatMap { job -> [String] in
            let path = job["metrics_path"] as? String ?? "/metrics"
            guard path == "/metrics" else { return [] }
            return (job["static_configs"] as? [[String: Any]] ?? []).flatMap { $0["targets"] as? [String] ?? [] }
        }
        XCTAssertTrue(
            targets.contains("monitor:\(port)"), "Prometheus scrapes \(targets), the monitor serves on \(port)")
        let gatewayPort = try XCTUnwrap(Self.value(after: "--port", in: try Self.command(of: services["gateway"]!)))
        XCTAssertTrue(
            targets.contains("gateway:\(gatewayPort)"),
            "Prometheus scrapes \(targets), the gateway serves on \(gatewayPort)")
    }

    // MARK: (b) every sluice command line in compose exists

    func testEveryComposeCommandIsAcceptedByTheBinary() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw XCTSkip(
                "\(Self.binary.path) is not built: run `swift build -c release --product sluice` (make test does)")
        }
        let services = try Self.services()
        for name in Self.sluiceServices {
            let command = try Self.command(of: services[name]!)
            // The actual argument list with --help appended.
            let run = try Self.run(Self.binary.path, command + ["--help"])
            XCTAssertEqual(run.status, 0, "\(name): sluice \(command.joined(separator: " ")) --help\n\(run.output)")

            // Argument parser prints help without validating the rest, so check
            // each flag against the subcommand's own help text as well.
            let path = Array(command.prefix { !$0.hasPrefix("-") && !$0.contains("/") && !$0.contains(".") })
            XCTAssertFalse(path.isEmpty, name)
            let help = try Self.run(Self.binary.path, path + ["--help"])
            XCTAssertEqual(help.status, 0, help.output)
            XCTAssertTrue(
                help.output.contains("USAGE: sluice \(path.joined(separator: " "))"), "\(name): \(help.output)")
            for flag in command where flag.hasPrefix("-") {
                XCTAssertTrue(
                    help.output.contains(flag), "\(name): sluice \(path.joined(separator: " ")) has no \(flag)")
            }
            // A misspelt flag is rejected, so the parser does look at the flags.
            let wrong = try Self.run(Self.binary.path, path + ["--no-such-flag"])
            XCTAssertNotEqual(wrong.status, 0, name)
        }
        // The -X pass-through the README and the compose comments document.
        let help = try Self.run(Self.binary.path, ["worker", "--help"])
        XCTAssertTrue(help.output.contains("-X"), help.output)
        XCTAssertTrue(help.output.contains("--property"), help.output)
    }

    /// The compose file's workflow is valid as the image will see it.
    func testWorkflowFileChecks() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw XCTSkip("\(Self.binary.path) is not built")
        }
        let run = try Self.run(Self.binary.path, ["workflow", "check", Self.workflowFile])
        XCTAssertEqual(run.status, 0, run.output)
    }

    // MARK: (c) the Dockerfile builds as the README says

    func testDockerfileRunsTheReadmeSteps() throws {
        let dockerfile = try Self.read("compose/Dockerfile")
        let instructions = Self.instructions(dockerfile)
        let runs = instructions.filter { $0.hasPrefix("RUN ") }
        XCTAssertTrue(runs.contains { $0.contains("scripts/setup.sh") }, "\(runs)")
        XCTAssertTrue(runs.contains { $0.contains("swift build -c release --product sluice") }, "\(runs)")
        let setup = runs.firstIndex { $0.contains("scripts/setup.sh") } ?? .max
        let build = runs.firstIndex { $0.contains("swift build -c release --product sluice") } ?? .min
        XCTAssertLessThan(setup, build, "setup before build")

        // The same steps as the Makefile and README.
        let makefile = try Self.read("Makefile")
        XCTAssertTrue(makefile.contains("scripts/setup.sh"))
        XCTAssertTrue(makefile.contains("build -c $(CONFIG) --product sluice"))
        XCTAssertTrue(try Self.read("README.md").contains("scripts/setup.sh"))

        let froms = instructions.filter { $0.hasPrefix("FROM ") }
        XCTAssertEqual(froms.count, 2, "\(froms)")
        XCTAssertTrue(froms[0].contains("AS build"), froms[0])
        XCTAssertTrue(dockerfile.contains("ARG SWIFT_IMAGE=swift:6"), "a Swift 6 image")
        XCTAssertTrue(dockerfile.contains("-bookworm"), "on Debian 12")
        XCTAssertTrue(froms[1].hasPrefix("FROM debian:bookworm-slim"), froms[1])

        let runtime = instructions.drop { !$0.hasPrefix("FROM debian:bookworm-slim") }.joined(separator: "\n")
        for package in ["libjson-c5", "libopenblas0-pthread", "curl"] {
            XCTAssertTrue(runtime.contains(package), package)
        }
        for copied in [
            "/opt/sluice/.deps/lib/", "/opt/sluice/.deps/model/", "COPY models/", "COPY topics/",
            "/usr/lib/swift/linux",
        ] {
            XCTAssertTrue(runtime.contains(copied), copied)
        }
        // The build's rpath names <package>/.deps/lib: both stages use the same package path.
        XCTAssertEqual(instructions.filter { $0 == "WORKDIR /opt/sluice" }.count, 2)
        XCTAssertTrue(runtime.contains("LD_LIBRARY_PATH=/opt/sluice/.deps/lib"))
        XCTAssertTrue(instructions.contains("ENTRYPOINT [\"sluice\"]"))
    }

    /// `docker compose config` validates the file offline (no engine needed); it
    /// runs when the compose plugin is installed.
    func testDockerComposeConfigValidates() throws {
        guard let docker = Self.which("docker"), (try? Self.run(docker, ["compose", "version"]))?.status == 0 else {
            throw XCTSkip("docker compose is not installed")
        }
        let run = try Self.run(docker, ["compose", "-f", "compose/docker-compose.yml", "config", "--quiet"])
        XCTAssertEqual(run.status, 0, run.output)
    }

    // MARK: helpers

    static var binary: URL { PackagePaths.sluiceBinary }

    static func read(_ relative: String) throws -> String {
        try String(contentsOf: PackagePaths.root.appendingPathComponent(relative), encoding: .utf8)
    }

    static func services() throws -> [String: [String: Any]] {
        let compose = try XCTUnwrap(try Yams.load(yaml: read("compose/docker-compose.yml")) as? [String: Any])
        let services = try XCTUnwrap(compose["services"] as? [String: Any])
        return try services.mapValues { try XCTUnwrap($0 as? [String: Any]) }
    }

    static func command(of service: [String: Any]) throws -> [String] {
        let items = try XCTUnwrap(service["command"] as? [Any], "command must be a list")
        return items.map { "\($0)" }
    }

    static func dependsOn(_ service: [String: Any]) throws -> [String: String] {
        let depends = try XCTUnwrap(service["depends_on"] as? [String: Any])
        return depends.compactMapValues { ($0 as? [String: Any])?["condition"] as? String }
    }

    static func value(after flag: String, in command: [String]) -> String? {
        guard let index = command.firstIndex(of: flag), index + 1 < command.count else { return nil }
        return command[index + 1]
    }

    /// Dockerfile instructions with continuation lines joined and comments dropped.
    static func instructions(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") || (line.isEmpty && current.isEmpty) { continue }
            if line.hasSuffix("\\") {
                current += line.dropLast() + " "
            } else {
                current += line
                if !current.isEmpty { result.append(current) }
                current = ""
            }
        }
        return result
    }

    static func which(_ name: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        return paths.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    struct Outcome {
        var status: Int32
        var output: String
    }

    /// Runs a program in the package root; stdout and stderr together.
    static func run(_ program: String, _ arguments: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = PackagePaths.root
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "200"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
