import Foundation
import SluiceBroker
import SluiceTesting
import XCTest
import Yams

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Checks compose/kubernetes/ without a cluster: every manifest parses and sits in the
/// namespace `sluice`; there is one worker Deployment per stage of the workflow file;
/// every `sluice` command line in it is accepted by the built binary; each KEDA
/// ScaledObject targets a stage's Deployment, is capped at its input topic's partitions
/// and asks for what the workflow has (group, topic, metric and labels); and the metrics
/// the Prometheus triggers query are served, with those labels, by a live worker and
/// monitor against an embedded broker.
final class KubernetesFileTests: XCTestCase {
    static let directory = "compose/kubernetes"
    static let workflowFile = "topics/sentiment-monitoring.yaml"
    static let brokers = "kafka:9092"
    static let namespace = "sluice"
    static let prometheusAddress = "http://prometheus.sluice.svc:9090"
    /// The gauges a trigger may query: what both the monitor's and each worker's /metrics export.
    static let advisedMetrics: Set<String> = ["sluice_stage_replicas_needed", "sluice_stage_lag"]

    // MARK: (a) the manifests

    func testEveryDocumentParsesAndIsInTheNamespace() throws {
        let documents = try Self.documents()
        XCTAssertFalse(documents.isEmpty, "no \(Self.directory)/*.yaml")
        var seen: Set<String> = []
        for document in documents {
            let what = "\(document.file): \(document.kind)/\(document.name)"
            XCTAssertNotNil(document.object["apiVersion"] as? String, "\(what): apiVersion")
            XCTAssertFalse(document.kind.isEmpty, "\(what): kind")
            XCTAssertFalse(document.name.isEmpty, "\(what): metadata.name")
            if document.kind == "Namespace" {
                XCTAssertEqual(document.name, Self.namespace)  // cluster-scoped: it has none itself
            } else {
                XCTAssertEqual(document.namespace, Self.namespace, what)
            }
            // The same name twice in one file would have kubectl apply the second over the first.
            XCTAssertTrue(seen.insert("\(document.file)/\(document.kind)/\(document.name)").inserted, what)
        }
        XCTAssertTrue(documents.contains { $0.kind == "Namespace" })
    }

    /// One worker Deployment per stage of the workflow, with the command line the README
    /// describes, a metrics port Prometheus finds, and room to commit its last batch.
    func testOneWorkerDeploymentPerStage() throws {
        let documents = try Self.documents()
        let workflow = try Self.workflow()
        let workers = Self.workerDeployments(documents)
        XCTAssertEqual(workers.map { $0.stage }.sorted(), workflow.stages.map(\.name).sorted(), "one per stage")

        for (deployment, stage) in workers {
            let what = deployment.name
            let spec = try XCTUnwrap(Self.dig(deployment.object, "spec") as? [String: Any], what)
            XCTAssertEqual(spec["replicas"] as? Int, 1, "\(what): KEDA scales from 1")
            let pod = try XCTUnwrap(Self.podSpec(deployment), what)
            let container = try XCTUnwrap(Self.containers(deployment).first, what)
            XCTAssertEqual(Self.containers(deployment).count, 1, what)
            XCTAssertEqual(container["image"] as? String, "sluice:local", what)
            XCTAssertNil(container["command"], "\(what): the image's ENTRYPOINT is sluice, so only args")
            let args = Self.args(container)
            XCTAssertEqual(args.first, "worker", what)
            XCTAssertEqual(Self.value(after: "--workflow", in: args), Self.workflowFile, what)
            XCTAssertEqual(Self.value(after: "--stage", in: args), stage, what)
            XCTAssertEqual(Self.value(after: "--brokers", in: args), Self.brokers, what)
            XCTAssertEqual(Self.environment(container)["SLUICE_BROKERS"], Self.brokers, what)
            XCTAssertEqual(
                Self.value(after: "--metrics-host", in: args), "0.0.0.0", "\(what): reachable from Prometheus")

            // The port the worker serves on is the one declared and the one Prometheus is told.
            let port = try XCTUnwrap(Self.value(after: "--metrics-port", in: args).flatMap(Int.init), what)
            XCTAssertTrue(Self.containerPorts(container).contains(port), "\(what): containerPort \(port)")
            let annotations =
                Self.dig(deployment.object, "spec", "template", "metadata", "annotations") as? [String: Any]
            XCTAssertEqual(annotations?["prometheus.io/scrape"] as? String, "true", what)
            XCTAssertEqual(annotations?["prometheus.io/port"] as? String, String(port), what)

            // SIGTERM: the worker finishes and commits its batch before it leaves the group.
            let grace = try XCTUnwrap(pod["terminationGracePeriodSeconds"] as? Int, "\(what): grace period")
            XCTAssertGreaterThanOrEqual(grace, 60, what)
            let requests = Self.dig(container, "resources", "requests") as? [String: Any]
            XCTAssertNotNil(requests?["cpu"], "\(what): cpu request (the HPA and the scheduler need it)")
            XCTAssertNotNil(requests?["memory"], what)
            try Self.assertSelectorMatchesTemplate(deployment)
        }

        let job = try XCTUnwrap(documents.first { $0.kind == "Job" }, "the topics Job")
        XCTAssertEqual(
            Self.containers(job).first.map(Self.args),
            ["topics", "apply", Self.workflowFile, "--brokers", Self.brokers])
    }

    /// The monitor keeps compose's command line; its Service and Prometheus's static target
    /// name the port it serves on; Prometheus may list the pods it scrapes by annotation.
    func testMonitorAndPrometheusAgreeOnPorts() throws {
        let documents = try Self.documents()
        let monitor = try XCTUnwrap(
            documents.first { $0.kind == "Deployment" && Self.containers($0).first.map(Self.args)?.first == "monitor" })
        let container = try XCTUnwrap(Self.containers(monitor).first)
        let args = Self.args(container)
        XCTAssertEqual(Self.value(after: "--workflow", in: args), Self.workflowFile)
        XCTAssertEqual(Self.value(after: "--brokers", in: args), Self.brokers)
        XCTAssertEqual(Self.value(after: "--metrics-host", in: args), "0.0.0.0")
        XCTAssertTrue(args.contains("--json"), "as compose/docker-compose.yml")
        XCTAssertEqual(Self.dig(monitor.object, "spec", "replicas") as? Int, 1, "one monitor group member")
        let port = try XCTUnwrap(Self.value(after: "--metrics-port", in: args).flatMap(Int.init))
        XCTAssertTrue(Self.containerPorts(container).contains(port))
        try Self.assertSelectorMatchesTemplate(monitor)

        let service = try XCTUnwrap(documents.first { $0.kind == "Service" && $0.name == monitor.name })
        let servicePorts = try XCTUnwrap(Self.dig(service.object, "spec", "ports") as? [[String: Any]])
        XCTAssertTrue(servicePorts.contains { $0["port"] as? Int == port }, "\(servicePorts)")
        let selector = try XCTUnwrap(Self.dig(service.object, "spec", "selector") as? [String: Any])
        XCTAssertTrue(Self.labels(selector, areIn: Self.dig(monitor.object, "spec", "template", "metadata", "labels")))

        // prometheus.yml in its ConfigMap: the monitor statically, the workers by pod annotation.
        let configMap = try XCTUnwrap(documents.first { $0.kind == "ConfigMap" && $0.name == "prometheus-config" })
        let text = try XCTUnwrap(Self.dig(configMap.object, "data", "prometheus.yml") as? String)
        let config = try XCTUnwrap(try Yams.load(yaml: text) as? [String: Any])
        let jobs = try XCTUnwrap(config["scrape_configs"] as? [[String: Any]])
        let targets = jobs.flatMap { job in
            (job["static_configs"] as? [[String: Any]] ?? []).flatMap { $0["targets"] as? [String] ?? [] }
        }
        XCTAssertTrue(targets.contains("\(service.name).\(Self.namespace).svc:\(port)"), "\(targets)")
        let podJob = try XCTUnwrap(jobs.first { $0["kubernetes_sd_configs"] != nil }, "a pod-discovery job")
        XCTAssertEqual(
            (podJob["kubernetes_sd_configs"] as? [[String: Any]])?.first?["role"] as? String, "pod")
        let relabels = podJob["relabel_configs"] as? [[String: Any]] ?? []
        XCTAssertTrue(
            relabels.contains {
                $0["action"] as? String == "keep"
                    && ($0["source_labels"] as? [String]) == ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"]
            }, "scrapes only annotated pods")

        // The address the triggers use is the Service's, and its pod may list pods.
        let prometheus = try XCTUnwrap(documents.first { $0.kind == "Service" && $0.name == "prometheus" })
        let prometheusPorts = Self.dig(prometheus.object, "spec", "ports") as? [[String: Any]] ?? []
        XCTAssertTrue(prometheusPorts.contains { $0["port"] as? Int == 9090 })
        XCTAssertEqual(Self.prometheusAddress, "http://\(prometheus.name).\(Self.namespace).svc:9090")
        let deployment = try XCTUnwrap(documents.first { $0.kind == "Deployment" && $0.name == "prometheus" })
        let account = try XCTUnwrap(Self.podSpec(deployment)?["serviceAccountName"] as? String)
        XCTAssertTrue(documents.contains { $0.kind == "ServiceAccount" && $0.name == account })
        let binding = try XCTUnwrap(
            documents.first { document in
                document.kind == "RoleBinding"
                    && (document.object["subjects"] as? [[String: Any]] ?? []).contains {
                        $0["name"] as? String == account
                    }
            })
        let roleName = try XCTUnwrap(Self.dig(binding.object, "roleRef", "name") as? String)
        let role = try XCTUnwrap(documents.first { $0.kind == "Role" && $0.name == roleName })
        let rules = role.object["rules"] as? [[String: Any]] ?? []
        XCTAssertTrue(
            rules.contains {
                ($0["resources"] as? [String] ?? []).contains("pods")
                    && Set($0["verbs"] as? [String] ?? []).isSuperset(of: ["list", "watch"])
            }, "\(rules)")
    }

    // MARK: (b) the KEDA ScaledObjects

    /// Both variants: one ScaledObject per stage, on that stage's Deployment, 1 to the
    /// input topic's partition count, with a scale-down window; the same names in both
    /// files, so applying one variant replaces the other rather than adding a second
    /// autoscaler to the Deployment.
    func testScaledObjectsTargetTheStages() throws {
        let documents = try Self.documents()
        let workflow = try Self.workflow()
        let stageOfDeployment = Dictionary(
            uniqueKeysWithValues: Self.workerDeployments(documents).map { ($0.0.name, $0.1) })
        let byFile = Dictionary(grouping: documents.filter { $0.kind == "ScaledObject" }, by: \.file)
        XCTAssertEqual(byFile.count, 2, "a Prometheus variant and a Kafka-lag variant: \(byFile.keys.sorted())")

        var triggerTypes: Set<String> = []
        var namesPerFile: [Set<String>] = []
        for (file, scaledObjects) in byFile {
            var stagesHere: [String] = []
            for object in scaledObjects {
                let what = "\(file): \(object.name)"
                XCTAssertEqual(object.object["apiVersion"] as? String, "keda.sh/v1alpha1", what)
                let spec = try XCTUnwrap(object.object["spec"] as? [String: Any], what)
                let target = try XCTUnwrap(Self.dig(spec, "scaleTargetRef", "name") as? String, what)
                let stageName = try XCTUnwrap(stageOfDeployment[target], "\(what): \(target) is no worker Deployment")
                let stage = try XCTUnwrap(workflow.stages.first { $0.name == stageName })
                stagesHere.append(stageName)
                XCTAssertEqual(spec["minReplicaCount"] as? Int, 1, what)
                XCTAssertEqual(
                    spec["maxReplicaCount"] as? Int, stage.partitions,
                    "\(what): a worker past \(stage.input)'s \(stage.partitions) partitions would sit idle")
                let window =
                    Self.dig(
                        spec, "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleDown",
                        "stabilizationWindowSeconds") as? Int
                XCTAssertGreaterThan(window ?? 0, 0, "\(what): a scale-down window, so the count does not flap")

                let triggers = try XCTUnwrap(spec["triggers"] as? [[String: Any]], what)
                XCTAssertEqual(triggers.count, 1, what)
                let trigger = try XCTUnwrap(triggers.first)
                let type = try XCTUnwrap(trigger["type"] as? String, what)
                let metadata = try XCTUnwrap(trigger["metadata"] as? [String: Any], what)
                triggerTypes.insert(type)
                switch type {
                case "prometheus":
                    XCTAssertEqual(metadata["serverAddress"] as? String, Self.prometheusAddress, what)
                    // AverageValue with threshold 1: desired replicas = ceil(value / 1), the advice itself.
                    XCTAssertEqual(trigger["metricType"] as? String, "AverageValue", what)
                    XCTAssertEqual(metadata["threshold"] as? String, "1", what)
                    let query = try XCTUnwrap(metadata["query"] as? String, what)
                    let selectors = try Self.selectors(in: query)
                    XCTAssertFalse(selectors.isEmpty, "\(what): no metric in \(query)")
                    for selector in selectors {
                        XCTAssertTrue(Self.advisedMetrics.contains(selector.metric), "\(what): \(selector.metric)")
                        XCTAssertEqual(selector.labels, ["workflow": workflow.name, "stage": stageName], what)
                    }
                case "kafka":
                    XCTAssertEqual(metadata["bootstrapServers"] as? String, Self.brokers, what)
                    XCTAssertEqual(metadata["consumerGroup"] as? String, "\(workflow.name).\(stageName)", what)
                    XCTAssertEqual(metadata["topic"] as? String, stage.input, what)
                    XCTAssertEqual(metadata["allowIdleConsumers"] as? String, "false", "\(what): capped at partitions")
                    XCTAssertGreaterThan(Int(metadata["lagThreshold"] as? String ?? "") ?? 0, 0, what)
                default:
                    XCTFail("\(what): unexpected trigger \(type)")
                }
            }
            XCTAssertEqual(stagesHere.sorted(), workflow.stages.map(\.name).sorted(), "\(file): one per stage")
            namesPerFile.append(Set(scaledObjects.map(\.name)))
        }
        XCTAssertEqual(triggerTypes, ["prometheus", "kafka"])
        XCTAssertEqual(namesPerFile.first, namesPerFile.last, "the variants replace each other by name")
    }

    // MARK: (c) every sluice command line exists

    func testEveryCommandLineIsAcceptedByTheBinary() throws {
        try Self.requireBinary()
        let sluiceContainers = try Self.documents().flatMap { document in
            Self.containers(document).filter { $0["image"] as? String == "sluice:local" }.map {
                ("\(document.file): \(document.name)", Self.args($0))
            }
        }
        XCTAssertGreaterThanOrEqual(sluiceContainers.count, 5, "the Job, three workers and the monitor")
        for (what, args) in sluiceContainers {
            let run = try Self.run(args + ["--help"])
            XCTAssertEqual(run.status, 0, "\(what): sluice \(args.joined(separator: " ")) --help\n\(run.output)")
            // The parser prints help without validating the rest, so check each flag
            // against the subcommand's own help text (as DeployFileTests does for compose).
            let path = Array(args.prefix { !$0.hasPrefix("-") && !$0.contains("/") && !$0.contains(".") })
            XCTAssertFalse(path.isEmpty, what)
            let help = try Self.run(path + ["--help"])
            XCTAssertTrue(
                help.output.contains("USAGE: sluice \(path.joined(separator: " "))"), "\(what): \(help.output)")
            for flag in args where flag.hasPrefix("-") {
                XCTAssertTrue(
                    help.output.contains(flag), "\(what): sluice \(path.joined(separator: " ")) has no \(flag)")
            }
        }
    }

    // MARK: (d) the queried metrics exist in a live /metrics

    private var children: [Process] = []
    private var broker: EmbeddedBroker?
    private var scratch: URL?

    override func tearDown() {
        for child in children where child.isRunning {
            child.terminate()  // SIGTERM: the worker commits and leaves its group
            let deadline = Date().addingTimeInterval(20)
            while child.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if child.isRunning { kill(child.processIdentifier, SIGKILL) }
            child.waitUntilExit()
        }
        children = []
        broker?.stop()
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    /// A passthrough worker (the model stages take long to load and need nothing more
    /// to export the same gauges) and the monitor, on a one-stage workflow: every
    /// metric a Prometheus trigger queries is on both /metrics, with the labels the
    /// query matches on.
    func testQueriedMetricsAreServedByAWorkerAndTheMonitor() throws {
        try Self.requireBinary()
        let queried = try Self.documents().compactMap { document -> String? in
            guard document.kind == "ScaledObject",
                let trigger = (Self.dig(document.object, "spec", "triggers") as? [[String: Any]])?.first,
                trigger["type"] as? String == "prometheus"
            else { return nil }
            return Self.dig(trigger, "metadata", "query") as? String
        }.flatMap(Self.selectors(in:))
        XCTAssertFalse(queried.isEmpty)

        broker = try TestBroker.start()
        let bootstrap = try XCTUnwrap(broker?.bootstrapServers)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sluice-k8s-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        scratch = folder
        let workflowURL = folder.appendingPathComponent("relay.yaml")
        try """
        workflow: k8s-relay
        topics: { posts: {partitions: 2}, done: {partitions: 1}, dlq: {partitions: 1} }
        input: posts
        output: done
        dead_letter: dlq
        stages:
          - { name: relay, task: passthrough, input: posts, output: done, batch: { size: 5, wait_ms: 20 } }
        """.write(to: workflowURL, atomically: true, encoding: .utf8)
        let labels = ["workflow": "k8s-relay", "stage": "relay"]
        // What the triggers query, and both advice gauges even where no trigger queries one yet.
        let required = queried + Self.advisedMetrics.sorted().map { (metric: $0, labels: labels) }
        let applied = try Self.run(["topics", "apply", workflowURL.path, "--brokers", bootstrap])
        XCTAssertEqual(applied.status, 0, applied.output)

        // --no-registry / --no-control as the tool tests run workers: no other topics needed.
        let workerPort = try Self.freePort()
        try start(
            "worker",
            [
                "worker", "--workflow", workflowURL.path, "--stage", "relay", "--brokers", bootstrap, "--no-registry",
                "--no-control", "--metrics-host", "127.0.0.1", "--metrics-port", String(workerPort),
            ], in: folder)
        let monitorPort = try Self.freePort()
        try start(
            "monitor",
            [
                "monitor", "--workflow", workflowURL.path, "--brokers", bootstrap, "--no-registry", "--json",
                "--from-beginning", "--probe-every", "1", "--metrics-host", "127.0.0.1", "--metrics-port",
                String(monitorPort),
            ], in: folder)
        let endpoints = [
            "worker": URL(string: "http://127.0.0.1:\(workerPort)/metrics")!,
            "monitor": URL(string: "http://127.0.0.1:\(monitorPort)/metrics")!,
        ]

        // Events keep arriving while we poll: the advice needs an arrival rate and a
        // processed event's time within the monitor's window.
        let events = folder.appendingPathComponent("events.jsonl")
        var texts: [String: String] = [:]
        func served(_ text: String) -> Bool {
            let samples = Self.samples(in: text)
            return required.allSatisfy { selector in
                samples.contains { sample in
                    sample.metric == selector.metric
                        && labels.allSatisfy { sample.labels[$0.key] == $0.value }
                        && Set(sample.labels.keys).isSuperset(of: selector.labels.keys)
                }
            }
        }
        let deadline = Date().addingTimeInterval(60)
        var batch = 0
        while Date() < deadline {
            try (0..<10).map { #"{"id": "k-\#(batch)-\#($0)", "text": "post \#($0)"}"# }.joined(separator: "\n")
                .write(to: events, atomically: true, encoding: .utf8)
            batch += 1
            let produced = try Self.run(["produce", "--topic", "posts", events.path, "--brokers", bootstrap])
            XCTAssertEqual(produced.status, 0, produced.output)
            Thread.sleep(forTimeInterval: 1)
            for (name, url) in endpoints { texts[name] = (try? Self.scrape(url)) ?? "" }
            if texts.values.allSatisfy(served) { break }
            XCTAssertTrue(children.allSatisfy(\.isRunning), "a child stopped: \(childLogs(in: folder))")
            if !children.allSatisfy(\.isRunning) { return }
        }
        for (name, text) in texts.sorted(by: { $0.key < $1.key }) {
            XCTAssertTrue(
                served(text),
                "\(name) /metrics lacks one of \(required.map { $0.metric }) with labels \(labels):\n\(text)\n"
                    + childLogs(in: folder)
            )
        }
    }

    /// Starts `sluice` tied to this process (it dies with the test runner), its output to <name>.log.
    private func start(_ name: String, _ arguments: [String], in folder: URL) throws {
        let logURL = folder.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let process = Process()
        process.currentDirectoryURL = PackagePaths.root
        let handle = try FileHandle(forWritingTo: logURL)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try ParentTiedSpawner.shared.run(process, executable: Self.binary, arguments: arguments, deathSignal: "TERM")
        children.append(process)
    }

    /// The tail of every child's log, for a failure message.
    private func childLogs(in folder: URL) -> String {
        ["worker", "monitor"].map { name in
            let text = (try? String(contentsOf: folder.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? ""
            return "--- \(name).log\n" + text.split(separator: "\n").suffix(20).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    // MARK: helpers

    static var binary: URL { PackagePaths.sluiceBinary }

    static func requireBinary() throws {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip(
                "\(binary.path) is not built: run `swift build -c release --product sluice` (make test does)")
        }
    }

    struct Document {
        let file: String
        let object: [String: Any]
        var kind: String { object["kind"] as? String ?? "" }
        var name: String { KubernetesFileTests.dig(object, "metadata", "name") as? String ?? "" }
        var namespace: String? { KubernetesFileTests.dig(object, "metadata", "namespace") as? String }
    }

    /// Every document of every compose/kubernetes/*.yaml (kubectl's multi-document files).
    static func documents() throws -> [Document] {
        let folder = PackagePaths.file(directory)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
        var result: [Document] = []
        for file in files.sorted() {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            // YamlSequence keeps a parse error aside instead of throwing it from next().
            var sequence = try Yams.load_all(yaml: text)
            var index = 0
            while let document = sequence.next() {
                index += 1
                let object = try XCTUnwrap(document as? [String: Any], "\(file): document \(index) is not a mapping")
                result.append(Document(file: file, object: object))
            }
            if let error = sequence.error { throw error }
        }
        return result
    }

    struct Stage {
        let name: String
        let input: String
        let partitions: Int
    }

    static func workflow() throws -> (name: String, stages: [Stage]) {
        let text = try String(contentsOf: PackagePaths.file(workflowFile), encoding: .utf8)
        let workflow = try XCTUnwrap(try Yams.load(yaml: text) as? [String: Any])
        let topics = try XCTUnwrap(workflow["topics"] as? [String: Any])
        let stages = try XCTUnwrap(workflow["stages"] as? [[String: Any]]).map { stage in
            let input = try XCTUnwrap(stage["input"] as? String)
            return Stage(
                name: try XCTUnwrap(stage["name"] as? String), input: input,
                partitions: dig(topics, input, "partitions") as? Int ?? 1)
        }
        return (try XCTUnwrap(workflow["workflow"] as? String), stages)
    }

    /// The Deployments whose container runs `sluice worker`, with the stage each runs.
    static func workerDeployments(_ documents: [Document]) -> [(Document, stage: String)] {
        documents.compactMap { document in
            guard document.kind == "Deployment", let line = containers(document).first.map(Self.args),
                line.first == "worker", let stage = value(after: "--stage", in: line)
            else { return nil }
            return (document, stage)
        }
    }

    static func dig(_ object: Any?, _ keys: String...) -> Any? {
        keys.reduce(object) { ($0 as? [String: Any])?[$1] }
    }

    static func podSpec(_ document: Document) -> [String: Any]? {
        dig(document.object, "spec", "template", "spec") as? [String: Any]
    }

    static func containers(_ document: Document) -> [[String: Any]] {
        podSpec(document)?["containers"] as? [[String: Any]] ?? []
    }

    static func args(_ container: [String: Any]) -> [String] {
        (container["args"] as? [Any] ?? []).map { "\($0)" }
    }

    static func environment(_ container: [String: Any]) -> [String: String] {
        let pairs = (container["env"] as? [[String: Any]] ?? []).compactMap { entry -> (String, String)? in
            guard let name = entry["name"] as? String, let value = entry["value"] else { return nil }
            return (name, "\(value)")
        }
        return Dictionary(pairs, uniquingKeysWith: { $1 })
    }

    static func containerPorts(_ container: [String: Any]) -> [Int] {
        (container["ports"] as? [[String: Any]] ?? []).compactMap { $0["containerPort"] as? Int }
    }

    static func value(after flag: String, in command: [String]) -> String? {
        guard let index = command.firstIndex(of: flag), index + 1 < command.count else { return nil }
        return command[index + 1]
    }

    static func labels(_ selector: [String: Any], areIn podLabels: Any?) -> Bool {
        let labels = podLabels as? [String: Any] ?? [:]
        return !selector.isEmpty && selector.allSatisfy { labels[$0.key] as? String == $0.value as? String }
    }

    /// A Deployment whose selector does not match its pods' labels is rejected by the API server.
    static func assertSelectorMatchesTemplate(_ deployment: Document) throws {
        let selector = try XCTUnwrap(
            dig(deployment.object, "spec", "selector", "matchLabels") as? [String: Any], deployment.name)
        XCTAssertTrue(
            labels(selector, areIn: dig(deployment.object, "spec", "template", "metadata", "labels")), deployment.name)
    }

    /// The metric selectors of a PromQL query: `name{label="value",...}` each.
    static func selectors(in query: String) throws -> [(metric: String, labels: [String: String])] {
        let selector = try NSRegularExpression(pattern: #"([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}"#)
        return matches(selector, in: query).map { ($0[1], labelPairs($0[2])) }
    }

    /// One Prometheus exposition's samples: `name{labels} value` per line, comments skipped.
    static func samples(in text: String) -> [(metric: String, labels: [String: String])] {
        text.split(separator: "\n").compactMap { line -> (metric: String, labels: [String: String])? in
            guard !line.hasPrefix("#"), let end = line.firstIndex(where: { $0 == "{" || $0 == " " }) else { return nil }
            let labels = line[end] == "{" ? String(line[line.index(after: end)...].prefix { $0 != "}" }) : ""
            return (String(line[..<end]), labelPairs(labels))
        }
    }

    static func labelPairs(_ text: String) -> [String: String] {
        let pair = try! NSRegularExpression(pattern: #"([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"([^"]*)""#)
        return Dictionary(matches(pair, in: text).map { ($0[1], $0[2]) }, uniquingKeysWith: { $1 })
    }

    /// Each match's capture groups, group 0 the whole match.
    static func matches(_ expression: NSRegularExpression, in text: String) -> [[String]] {
        let whole = NSRange(text.startIndex..., in: text)
        return expression.matches(in: text, range: whole).map { match in
            (0..<match.numberOfRanges).map { Range(match.range(at: $0), in: text).map { String(text[$0]) } ?? "" }
        }
    }

    struct Outcome {
        var status: Int32
        var output: String
    }

    /// Runs `sluice` in the package root, stdout and stderr to a file (a full pipe can
    /// never stall it), for at most `timeout` seconds.
    static func run(_ arguments: [String], timeout: TimeInterval = 60) throws -> Outcome {
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-k8s-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outURL) }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = PackagePaths.root
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "200"
        process.environment = environment
        let handle = try FileHandle(forWritingTo: outURL)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            XCTFail("sluice \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        try handle.close()
        return Outcome(
            status: process.terminationStatus, output: String(decoding: try Data(contentsOf: outURL), as: UTF8.self))
    }

    /// A port nothing listens on: bind port 0 on loopback, read what the kernel gave, close.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ScrapeFailure(description: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw ScrapeFailure(description: "bind() on 127.0.0.1 failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// GET `url`'s body; throws on a transport error or a status other than 200.
    static func scrape(_ url: URL) throws -> String {
        let done = DispatchSemaphore(value: 0)
        let box = ScrapeResult()
        URLSession.shared.dataTask(with: url) { data, response, _ in
            if (response as? HTTPURLResponse)?.statusCode == 200, let data {
                box.set(String(decoding: data, as: UTF8.self))
            }
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + 10) == .success, let body = box.body else {
            throw ScrapeFailure(description: "GET \(url): no 200 within 10 s")
        }
        return body
    }
}

struct ScrapeFailure: Error, CustomStringConvertible {
    let description: String
}

/// The body a URLSession callback hands back to the waiting test thread.
final class ScrapeResult: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: String?
    func set(_ body: String) { lock.withLock { stored = body } }
    var body: String? { lock.withLock { stored } }
}
