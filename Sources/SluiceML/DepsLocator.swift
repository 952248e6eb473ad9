import Foundation

/// Finds files under `.deps/` (put there by `make setup`) by walking up from
/// the current directory and from the running executable's directory.
public enum DepsLocator {
    /// The first existing `<ancestor>/<relative>` for ancestors of the working
    /// directory, then of the executable's directory; nil if none exists.
    public static func find(_ relative: String) -> String? {
        var starts = [FileManager.default.currentDirectoryPath]
        if let exe = executableDirectory() { starts.append(exe) }
        for start in starts {
            var dir = URL(fileURLWithPath: start).standardizedFileURL
            while true {
                let candidate = dir.appendingPathComponent(relative).path
                if FileManager.default.fileExists(atPath: candidate) { return candidate }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        return nil
    }

    static func executableDirectory() -> String? {
        let path =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first
        guard let path else { return nil }
        return URL(fileURLWithPath: path).deletingLastPathComponent().path
    }
}
