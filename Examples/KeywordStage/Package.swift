// swift-tools-version: 6.0
import PackageDescription

// A stage package: its own task (`keywords`), run by its own worker executable with
// everything `sluice worker` gives a built-in task. See docs/writing-a-stage.md.

// Sluice links librdkafka >= 2.2 from its .deps/lib (made by `make setup` in the Sluice
// checkout, two folders up); the rpath lets the built worker and tests find it at run time.
let depsLib = Context.packageDirectory + "/../../.deps/lib"
let linkDeps: [LinkerSetting] = [
    .unsafeFlags(["-L", depsLib, "-Xlinker", "-rpath", "-Xlinker", depsLib])
]

let package = Package(
    name: "KeywordStage",
    platforms: [.macOS(.v14)],
    dependencies: [
        // Named, so that products resolve whatever the checkout's folder is called.
        .package(name: "Sluice", path: "../..")
    ],
    targets: [
        // The stage itself: no Kafka in it, so it is tested without a broker too.
        .target(
            name: "KeywordStage",
            dependencies: [
                .product(name: "SluicePipeline", package: "Sluice"),
                .product(name: "SluiceEvents", package: "Sluice"),
            ]),
        .executableTarget(
            name: "keywords-worker",
            dependencies: [
                "KeywordStage",
                .product(name: "SluicePipeline", package: "Sluice"),
                .product(name: "SluiceWorkerMain", package: "Sluice"),
            ],
            linkerSettings: linkDeps),
        .testTarget(
            name: "KeywordStageTests",
            dependencies: [
                "KeywordStage",
                .product(name: "SluicePipeline", package: "Sluice"),
                .product(name: "SluiceEvents", package: "Sluice"),
                .product(name: "SluiceKafka", package: "Sluice"),
                .product(name: "SluiceBroker", package: "Sluice"),
            ],
            linkerSettings: linkDeps),
    ]
)
