/// A problem in a workflow or topics file, located by file, line and key path,
/// with what to do about it.
public struct WorkflowError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int
    public let path: String
    public let message: String

    public init(file: String, line: Int, path: String, message: String) {
        self.file = file
        self.line = line
        self.path = path
        self.message = message
    }

    public var description: String {
        let location = line > 0 ? "\(file):\(line)" : file
        return path.isEmpty ? "\(location): \(message)" : "\(location): \(path): \(message)"
    }
}
