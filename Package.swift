// swift-tools-version: 6.0
import PackageDescription
import Foundation

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
        .target(
            name: "SluiceML", dependencies: ["CBLAS", "SluiceJSON"],
            swiftSettings: strict + [.unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"], .when(configuration: .release))]),
        .target(
            name: "SluiceWorkflow",
            dependencies: ["SluiceKafka", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        // Who is running: the compacted registry topic, its announcer (heartbeats) and its reader.
        .target(
            name: "SluiceRegistry",
            dependencies: [
                "SluiceKafka", "SluiceJSON", "SluiceWorkflow", "SluiceLifecycle", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(
            name: "SluicePipeline",
            dependencies: [
                "SluiceKafka", "SluiceEvents", "SluiceML", "SluiceWorkflow", "SluiceRegistry", "SluiceLifecycle",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict),
        .target(
            name: "SluiceMonitor",
            dependencies: [
                "SluiceEvents", "SluiceWorkflow", "SluiceJSON",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict),
        // The monitor consumer: Kafka in, metrics / alerts / trends out, and /metrics over HTTP.
        .target(
            name: "SluiceMonitorService",
            dependencies: [
                "SluiceMonitor", "SluiceKafka", "SluiceEvents", "SluiceWorkflow", "SluiceJSON", "SluiceRegistry",
                "SluiceLifecycle",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // HTTP in front of a workflow: events in, results by id, predict, status, dashboard.
        .target(
            name: "SluiceGateway",
            dependencies: [
                "SluiceKafka", "SluiceEvents", "SluiceJSON", "SluiceWorkflow", "SluiceRegistry", "SluiceMonitor",
                "SluiceMonitorService", "SluicePipeline", "SluiceLifecycle",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict),
        // `sluice up`'s restart policy for its workers: pure, so unit-tested without processes.
        .target(name: "SluiceSupervision", swiftSettings: strict),
        .executableTarget(
            name: "SluiceCLI",
            dependencies: [
                "SluiceKafka", "SluiceML", "SluiceWorkflow", "SluiceJSON", "SluiceEvents", "SluicePipeline",
                "SluiceMonitor", "SluiceMonitorService", "SluiceRegistry", "SluiceGateway", "SluiceSupervision",
                "SluiceLifecycle",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
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
        .executableTarget(name: "FuzzEnvelope", dependencies: ["SluiceFuzzDriver"], swiftSettings: strict),
        .executableTarget(name: "FuzzWorkflow", dependencies: ["SluiceFuzzDriver"], swiftSettings: strict),
        .executableTarget(name: "FuzzHeadFile", dependencies: ["SluiceFuzzDriver"], swiftSettings: strict),
        .executableTarget(name: "FuzzIntake", dependencies: ["SluiceFuzzDriver"], swiftSettings: strict),
        .testTarget(name: "SluiceKafkaTests", dependencies: ["SluiceKafka"], swiftSettings: strict),
        .testTarget(name: "SluiceSupervisionTests", dependencies: ["SluiceSupervision"], swiftSettings: strict),
        .testTarget(name: "SluiceEventsTests", dependencies: ["SluiceEvents", "SluiceJSON"], swiftSettings: strict),
        .testTarget(name: "SluiceMLTests", dependencies: ["SluiceML"], swiftSettings: strict),
        .testTarget(
            name: "SluicePipelineTests",
            dependencies: [
                "SluicePipeline", "SluiceKafka", "SluiceEvents", "SluiceML", "SluiceWorkflow", "SluiceJSON", "SluiceRegistry",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SluiceMonitorTests",
            dependencies: ["SluiceMonitor", "SluiceEvents", "SluiceWorkflow", "SluiceJSON"],
            swiftSettings: strict),
        // Runs the built `sluice` binary (.build/<config>/sluice; `make test` builds it first) as a subprocess.
        .testTarget(name: "SluiceToolTests", dependencies: ["SluiceKafka"], swiftSettings: strict),
        .testTarget(
            name: "SluiceMonitorServiceTests",
            dependencies: [
                "SluiceMonitorService", "SluiceMonitor", "SluicePipeline", "SluiceKafka", "SluiceEvents",
                "SluiceWorkflow", "SluiceJSON", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SluiceRegistryTests",
            dependencies: [
                "SluiceRegistry", "SluicePipeline", "SluiceKafka", "SluiceWorkflow", "SluiceJSON",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // Real broker, real workers and the gateway over loopback HTTP; the dashboard in headless Chromium.
        .testTarget(
            name: "SluiceGatewayTests",
            dependencies: [
                "SluiceGateway", "SluicePipeline", "SluiceKafka", "SluiceEvents", "SluiceML", "SluiceWorkflow",
                "SluiceJSON", "SluiceRegistry", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // Process-level faults (network partition in namespaces, paused broker, zombie and
        // stopped workers) against real Tansu and `sluice worker` processes, with exact id accounting.
        .testTarget(name: "SluiceFaultTests", dependencies: ["SluiceKafka", "SluiceEvents"], swiftSettings: strict),
        // Replays Tests/FuzzCorpus through the fuzz harness: every seed and every past crash.
        .testTarget(name: "SluiceFuzzTests", dependencies: ["SluiceFuzzHarness"], swiftSettings: strict),
        .testTarget(
            name: "SluiceWorkflowTests", dependencies: ["SluiceWorkflow", "SluiceKafka"], swiftSettings: strict),
        // Checks compose/ (Dockerfile, docker-compose.yml, prometheus.yml) without a Docker engine;
        // runs the built `sluice` binary like SluiceToolTests.
        .testTarget(
            name: "SluiceDeployTests", dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
    ]
)
