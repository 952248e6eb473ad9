import Foundation

/// Where the test suites find the checkout's files: the package root (from this file's
/// own path, so it holds wherever the repository is cloned) and what `make` built there.
public enum PackagePaths {
    /// The folder that holds Package.swift (this file is Sources/SluiceTesting/PackagePaths.swift).
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A path below the package root, e.g. `file("models/sentiment-head.json")`.
    public static func file(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// The release `sluice` binary that `make test` builds before running the tests.
    public static var sluiceBinary: URL { file(".build/release/sluice") }
}
