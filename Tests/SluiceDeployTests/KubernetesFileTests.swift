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
/// every `sluice` command line in it is accepted by the built binary; and each KEDA
/// ScaledObject targets a stage's Deployment, is capped at its input topic's partitions
/// and asks for what the workflow has (group, topic, metric and labels). That the queried
/// metrics are served is `KubernetesLiveMetricsTests`; the helpers are in
/// KubernetesManifests.swift.
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
}
