import Foundation
// swift-tools-version: 6.0
import PackageDescription

// librdkafka >= 2.2 comes from .deps/lib (scripts/setup.sh puts it there: the
// system library when it is new enough, else the build inside the pinned
// confluent-kafka wheel). -L makes the linker pick it over Debian's 2.0.2 and
// the rpath makes `swift test` and the built `sluice` find it at run time.
let depsLib = Context.packageDirectory + "/.deps/lib"
let linkDeps: [LinkerSetting] = [
    .unsafeFlags(["-L", depsLib, "-Xlinker", "-rpath", "-Xlinker", depsLib])
]
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sluice", targets: ["SluiceCLI"]),
        .library(name: "SluiceKafka", targets: ["SluiceKafka"]),
        .library(name: "SluiceML", targets: ["SluiceML"]),
        // For packages with their own stage (docs/writing-a-stage.md). SluiceJSON and SluiceWorkflow
        // ride along because the public API shows them: an Envelope's results are JSONValues and a
        // stage's factory gets its StageSpec and Workflow.
        .library(name: "SluiceEvents", targets: ["SluiceEvents", "SluiceJSON"]),
        .library(name: "SluicePipeline", targets: ["SluicePipeline", "SluiceWorkflow"]),
        .library(name: "SluiceWorkerMain", targets: ["SluiceWorkerMain"]),
        // The embedded Tansu broker, for a stage package's tests.
        .library(name: "SluiceBroker", targets: ["SluiceBroker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CRdKafka", path: "Sources/CRdKafka"),
        .systemLibrary(name: "CJSONC", path: "Sources/CJSONC"),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        // Only the prototype of libFuzzer's driver; `make fuzz` links the library itself.
        .systemLibrary(name: "CLibFuzzer", path: "Sources/CLibFuzzer"),
        .target(
            name: "SluiceKafka",
            dependencies: ["CRdKafka", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict, linkerSettings: linkDeps),
        // The embedded Tansu broker (tests, the demo, benchmarks) and the spawner that ties children to us.
        .target(name: "SluiceBroker", dependencies: ["SluiceKafka"], swiftSettings: strict),
        .target(name: "SluiceJSON", dependencies: ["CJSONC"], swiftSettings: strict),
        // One adapter from the blocking Kafka loops to swift-service-lifecycle, and the commands' ServiceGroup.
        .target(
            name: "SluiceLifecycle",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .target(name: "SluiceEvents", dependencies: ["SluiceJSON"], swiftSettings: strict),
        // The encoder's int8 and bf16 GEMM kernels, each compiled per instruction set
        // (__attribute__((target))) and picked at run time from cpuid: one binary for every AVX2 CPU.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(
            name: "SluiceML", dependencies: ["CBLAS", "CKernels", "SluiceJSON", "SluiceDigest"],
            swiftSettings: strict + [
                .unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"], .when(configuration: .release))
            ]),
        // SHA-256 alone, for modules that must not link the model's numerics (the gateway).
        .target(name: "SluiceDigest", swiftSettings: strict),
        .target(
            name: "SluiceWorkflow",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        // Who is running: the compacted registry topic, its announcer (heartbeats) and its reader.
        .target(
            name: "SluiceRegistry",
            dependencies: [
                "SluiceKafka", "SluiceJSON", "SluiceWorkflow", "SluiceLifecycle",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(
            name: "SluicePipeline",
            dependencies: [
                "SluiceKafka", "SluiceEvents", "SluiceJSON", "SluiceML", "SluiceWorkflow", "SluiceRegistry",
                "SluiceLifecycle",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict),
        // The command line of one stage worker: `sluice worker` and a stage package's own executable.
        .target(
            name: "SluiceWorkerMain",
            dependencies: [
                "SluiceKafka", "SluiceML", "SluicePipeline", "SluiceWorkflow", "SluiceRegistry", "SluiceHTTP",
                "SluiceLifecycle", "SluiceMonitor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .target(
            name: "SluiceMonitor",
            dependencies: [
                "SluiceEvents", "SluiceWorkflow", "SluiceJSON",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict),
        // The HTTP server the monitor's /metrics and the gateway share (Hummingbird, run from synchronous code).
        .target(
            name: "SluiceHTTP",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // The monitor consumer: Kafka in, metrics / alerts / trends out, and /metrics over HTTP.
        .target(
            name: "SluiceMonitorService",
            dependencies: [
                "SluiceMonitor", "SluiceKafka", "SluiceEvents", "SluiceWorkflow", "SluiceJSON", "SluiceRegistry",
                "SluiceLifecycle",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // HTTP in front of a workflow: events in, results by id, predict, status, dashboard.
        .target(
            name: "SluiceGateway",
            dependencies: [
                "SluiceKafka", "SluiceEvents", "SluiceJSON", "SluiceWorkflow", "SluiceRegistry", "SluiceMonitor",
                "SluiceHTTP", "SluiceLifecycle", "SluiceDigest",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict),
        // The harnesses behind `sluice bench`: Kafka throughput, the `tansu perf` baseline, a workflow in-process.
        .target(
            name: "SluiceBench",
            dependencies: [
                "SluiceBroker", "SluiceKafka", "SluiceEvents", "SluiceML", "SluiceWorkflow", "SluicePipeline",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // `sluice up`'s restart policy for its workers: pure, so unit-tested without processes.
        .target(name: "SluiceSupervision", swiftSettings: strict),
        .executableTarget(
            name: "SluiceCLI",
            dependencies: [
                "SluiceBench", "SluiceBroker", "SluiceKafka", "SluiceML", "SluiceWorkflow", "SluiceJSON",
                "SluiceEvents",
                "SluicePipeline", "SluiceMonitor", "SluiceMonitorService", "SluiceRegistry", "SluiceGateway",
                "SluiceSupervision",
                "SluiceWorkerMain", "SluiceLifecycle", "SluiceHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // Fuzzing (docs/fuzzing.md): what each untrusted-input parser must do with any bytes.
        // The fuzz executables and the corpus replay test share it.
        .target(
            name: "SluiceFuzzHarness",
            dependencies: ["SluiceEvents", "SluiceJSON", "SluiceWorkflow", "SluiceML", "SluiceGateway"],
            swiftSettings: strict),
        // libFuzzer's driver when built with -DFUZZING (`make fuzz`), else a replay of files.
        .target(name: "SluiceFuzzDriver", dependencies: ["SluiceFuzzHarness", "CLibFuzzer"], swiftSettings: strict),
        .executableTarget(
            name: "FuzzEnvelope", dependencies: ["SluiceFuzzDriver", "SluiceFuzzHarness"], swiftSettings: strict),
        .executableTarget(
            name: "FuzzWorkflow", dependencies: ["SluiceFuzzDriver", "SluiceFuzzHarness"], swiftSettings: strict),
        .executableTarget(
            name: "FuzzHeadFile", dependencies: ["SluiceFuzzDriver", "SluiceFuzzHarness"], swiftSettings: strict),
        .executableTarget(
            name: "FuzzIntake", dependencies: ["SluiceFuzzDriver", "SluiceFuzzHarness"], swiftSettings: strict),
        // What every test suite shares: the package's paths, bounded waits, the broker fixture.
        .target(name: "SluiceTesting", dependencies: ["SluiceBroker"], swiftSettings: strict),
        .testTarget(
            name: "SluiceKafkaTests", dependencies: ["SluiceTesting", "SluiceBench", "SluiceBroker", "SluiceKafka"],
            swiftSettings: strict),
        .testTarget(name: "SluiceSupervisionTests", dependencies: ["SluiceSupervision"], swiftSettings: strict),
        .testTarget(name: "SluiceEventsTests", dependencies: ["SluiceEvents", "SluiceJSON"], swiftSettings: strict),
        .testTarget(
            name: "SluiceMLTests", dependencies: ["SluiceTesting", "SluiceML", "SluiceJSON"], swiftSettings: strict),
        .testTarget(
            name: "SluicePipelineTests",
            dependencies: [
                "SluiceTesting",
                "SluiceBroker", "SluicePipeline", "SluiceKafka", "SluiceEvents", "SluiceML", "SluiceWorkflow",
                "SluiceJSON",
                "SluiceRegistry",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SluiceMonitorTests",
            dependencies: ["SluiceTesting", "SluiceMonitor", "SluiceEvents", "SluiceWorkflow", "SluiceJSON"],
            swiftSettings: strict),
        // Runs the built `sluice` binary (.build/<config>/sluice; `make test` builds it first) as a subprocess.
        .testTarget(
            name: "SluiceToolTests", dependencies: ["SluiceTesting", "SluiceBroker", "SluiceKafka"],
            swiftSettings: strict),
        .testTarget(
            name: "SluiceMonitorServiceTests",
            dependencies: [
                "SluiceHTTP", "SluiceTesting",
                "SluiceBroker", "SluiceMonitorService", "SluiceMonitor", "SluicePipeline", "SluiceKafka",
                "SluiceEvents",
                "SluiceWorkflow", "SluiceJSON", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SluiceRegistryTests",
            dependencies: [
                "SluiceTesting",
                "SluiceBroker", "SluiceRegistry", "SluicePipeline", "SluiceKafka", "SluiceWorkflow", "SluiceJSON",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // Real broker, real workers, a monitor and the gateway over loopback HTTP; the dashboard in headless Chromium.
        .testTarget(
            name: "SluiceGatewayTests",
            dependencies: [
                "SluiceTesting",
                "SluiceBroker", "SluiceGateway", "SluicePipeline", "SluiceKafka", "SluiceEvents", "SluiceML",
                "SluiceWorkflow", "SluiceHTTP",
                "SluiceJSON", "SluiceRegistry", "SluiceMonitorService", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // Process-level faults (network partition in namespaces, paused broker, zombie and
        // stopped workers) against real Tansu and `sluice worker` processes, with exact id accounting.
        .testTarget(
            name: "SluiceFaultTests", dependencies: ["SluiceTesting", "SluiceKafka", "SluiceEvents"],
            swiftSettings: strict),
        // Replays Tests/FuzzCorpus through the fuzz harness: every seed and every past crash.
        .testTarget(name: "SluiceFuzzTests", dependencies: ["SluiceFuzzHarness"], swiftSettings: strict),
        .testTarget(
            name: "SluiceWorkflowTests", dependencies: ["SluiceTesting", "SluiceWorkflow"], swiftSettings: strict),
        // Checks compose/ (Dockerfile, docker-compose.yml, prometheus.yml) without a Docker engine;
        // runs the built `sluice` binary like SluiceToolTests.
        .testTarget(
            name: "SluiceDeployTests",
            dependencies: ["SluiceTesting", "SluiceBroker", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
    ]
)
