import Yams

/// A YAML node together with the key path that led to it, so that every error
/// names the file, the line and the key (`stages[1].batch.size`).
struct YAMLField {
    let node: Node
    let path: String
    let file: String

    var line: Int { node.mark?.line ?? 0 }

    func error(_ message: String) -> WorkflowError {
        WorkflowError(file: file, line: line, path: path, message: message)
    }

    private func child(_ node: Node, key: String) -> YAMLField {
        YAMLField(node: node, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    /// The mapping's entries in file order. Keys outside `allowed` are an error,
    /// so that a typo ("partitons") is reported rather than silently ignored.
    func mapping(allowed: [String]) throws(WorkflowError) -> [(key: String, value: YAMLField)] {
        guard case .mapping(let mapping) = node else {
            throw error("expected a mapping (key: value lines), got \(kind)")
        }
        var entries: [(key: String, value: YAMLField)] = []
        var seen: Set<String> = []
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                throw YAMLField(node: keyNode, path: path, file: file).error("keys must be plain names")
            }
            let key = keyScalar.string
            // YAML forbids repeated keys but the parser keeps both: a topic declared twice would
            // take its partitions from one entry here and from the other there.
            guard seen.insert(key).inserted else {
                throw YAMLField(node: keyNode, path: path.isEmpty ? key : "\(path).\(key)", file: file)
                    .error("'\(key)' is given twice; each key may appear once")
            }
            if !allowed.isEmpty && !allowed.contains(key) {
                throw YAMLField(node: keyNode, path: path.isEmpty ? key : "\(path).\(key)", file: file)
                    .error("unknown key; expected one of: \(allowed.joined(separator: ", "))")
            }
            entries.append((key, child(valueNode, key: key)))
        }
        return entries
    }

    /// A mapping whose keys are names chosen by the user (topic names, label names).
    func namedEntries() throws(WorkflowError) -> [(key: String, value: YAMLField)] {
        try mapping(allowed: [])
    }

    func list() throws(WorkflowError) -> [YAMLField] {
        guard case .sequence(let sequence) = node else {
            throw error("expected a list (lines starting with '- '), got \(kind)")
        }
        return sequence.enumerated().map { index, item in
            YAMLField(node: item, path: "\(path)[\(index)]", file: file)
        }
    }

    func string() throws(WorkflowError) -> String {
        guard case .scalar(let scalar) = node else { throw error("expected a text value, got \(kind)") }
        guard !scalar.string.isEmpty else { throw error("must not be empty") }
        return scalar.string
    }

    func int(atLeast minimum: Int) throws(WorkflowError) -> Int {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string) else {
            throw error("expected a whole number, got \(describe)")
        }
        guard value >= minimum else { throw error("must be at least \(minimum), got \(value)") }
        return value
    }

    func double(in range: ClosedRange<Double>) throws(WorkflowError) -> Double {
        guard case .scalar(let scalar) = node, let value = Double(scalar.string) else {
            throw error("expected a number, got \(describe)")
        }
        guard range.contains(value) else {
            throw error("must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    /// One string or a list of strings.
    func strings() throws(WorkflowError) -> [String] {
        if case .scalar = node { return [try string()] }
        var values: [String] = []
        for item in try list() { values.append(try item.string()) }
        guard !values.isEmpty else { throw error("must list at least one value") }
        return values
    }

    /// A flat mapping of scalar values, as topic configuration (`retention.ms: 86400000`).
    func stringMap() throws(WorkflowError) -> [String: String] {
        var values: [String: String] = [:]
        for (key, value) in try namedEntries() {
            guard case .scalar(let scalar) = value.node else {
                throw value.error("expected a plain value, got \(value.kind)")
            }
            values[key] = scalar.string
        }
        return values
    }

    private var kind: String {
        switch node {
        case .scalar(let scalar): return "'\(scalar.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    private var describe: String { kind }

    /// Parses a whole document, turning YAML syntax errors into located errors.
    static func document(_ text: String, file: String) throws(WorkflowError) -> YAMLField {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let yamlError as YamlError {
            throw Self.syntaxError(yamlError, file: file)
        } catch {
            throw WorkflowError(file: file, line: 0, path: "", message: "not valid YAML: \(error)")
        }
        guard let node else {
            throw WorkflowError(file: file, line: 0, path: "", message: "the file is empty")
        }
        return YAMLField(node: node, path: "", file: file)
    }

    private static func syntaxError(_ error: YamlError, file: String) -> WorkflowError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return WorkflowError(file: file, line: mark.line, path: "", message: "not valid YAML: \(problem)")
        default:
            return WorkflowError(file: file, line: 0, path: "", message: "not valid YAML: \(error)")
        }
    }
}
