import Foundation
import SluiceBroker

/// The embedded Tansu broker a test runs against. Every suite that needs a broker starts
/// it here, so a checkout without Tansu fails the same way everywhere, saying how to fix
/// it (a failure, not a skip: a suite that silently skipped would hide every broker test).
public enum TestBroker {
    public static func start() throws -> EmbeddedBroker {
        let tansu = PackagePaths.file(".deps/bin/tansu")
        guard FileManager.default.isExecutableFile(atPath: tansu.path) else {
            throw MissingTansu(path: tansu.path)
        }
        return try EmbeddedBroker(executable: tansu)
    }

    struct MissingTansu: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path) is missing: run `make setup` (make test does) to install Tansu" }
    }
}
