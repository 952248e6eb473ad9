import Foundation

/// Where the all-MiniLM-L6-v2 files live, checked to exist and be non-empty.
public struct ModelFiles: Sendable {
    public let directory: String
    public var config: String { directory + "/config.json" }
    public var weights: String { directory + "/model.safetensors" }
    public var vocab: String { directory + "/vocab.txt" }

    /// The explicit directory if given, else `SLUICE_MODEL_DIR`, else `.deps/model`
    /// found by walking up from the working directory and the executable's directory.
    public static func locate(_ explicit: String? = nil) throws -> ModelFiles {
        let dir: String
        if let explicit {
            dir = explicit
        } else if let env = ProcessInfo.processInfo.environment["SLUICE_MODEL_DIR"], !env.isEmpty {
            dir = env
        } else if let found = DepsLocator.find(".deps/model") {
            dir = found
        } else {
            throw ModelError(
                path: ".deps/model",
                problem: "model directory not found (searched upwards from "
                    + "\(FileManager.default.currentDirectoryPath) and the executable's directory)")
        }
        let files = ModelFiles(directory: dir)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw ModelError(path: dir, problem: "model directory does not exist")
        }
        for file in [files.config, files.vocab, files.weights] {
            let attrs = try? FileManager.default.attributesOfItem(atPath: file)
            guard let size = attrs?[.size] as? NSNumber else {
                throw ModelError(path: file, problem: "missing model file")
            }
            if size.intValue == 0 { throw ModelError(path: file, problem: "model file is empty (truncated download?)") }
        }
        return files
    }
}
