/// Why the MiniLM model could not be loaded: names the file, what is wrong,
/// and how to fix it.
public struct ModelError: Error, CustomStringConvertible {
    /// The file (or directory) concerned.
    public let path: String
    /// What is wrong with it.
    public let problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String {
        "\(path): \(problem). Run `make setup` to (re)install the model, or pass --model DIR / set SLUICE_MODEL_DIR."
    }
}
