import Foundation
import SluiceKafka

/// Where the Tansu binary is when no one names it: where `make setup` puts it.
extension EmbeddedBroker {
    /// `.deps/bin/tansu` in the working directory, next to the executable, or above either.
    public static func locateTansu() throws -> URL {
        let fileManager = FileManager.default
        let starts = [
            URL(fileURLWithPath: fileManager.currentDirectoryPath),
            Bundle.main.executableURL?.deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent(),
        ].compactMap { $0 }
        for start in starts {
            var directory = start.standardizedFileURL
            while true {
                let candidate = directory.appendingPathComponent(".deps/bin/tansu")
                if fileManager.isExecutableFile(atPath: candidate.path) { return candidate }
                let parent = directory.deletingLastPathComponent()
                if parent.path == directory.path { break }
                directory = parent
            }
        }
        throw KafkaError(
            code: .brokerProcess,
            message: "cannot find the Tansu broker: no .deps/bin/tansu above \(starts.map(\.path)). "
                + "Run `make setup` (scripts/setup.sh) in the repository to install it.")
    }
}
