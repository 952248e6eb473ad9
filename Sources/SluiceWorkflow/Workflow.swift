import Foundation

/// A streaming workflow as declared in a file under `topics/`: its topics, its
/// stages in order, its dead-letter topic and limits. See docs/workflow-files.md.
public struct Workflow: Sendable, Equatable {
    public var name: String
    public var topics: [TopicSpec]
    /// The topic users produce events to.
    public var input: String
    /// The topic the last stage produces finished events to.
    public var output: String
    public var deadLetter: String
    public var stages: [StageSpec]
    public var limits = Limits()
    /// The `monitor:` section; defaults when the file has none.
    public var monitor = MonitorSpec()
    /// The folder of the file, against which relative paths (heads) resolve.
    public var directory: String = "."

    public struct Limits: Sendable, Equatable {
        /// Texts longer than this (UTF-8 bytes) go to the dead-letter topic.
        public var maxTextBytes = 20_000
        /// A dead letter replayed this many times without success is not replayed again.
        public var maxReplayAttempts = 3
        /// Records produced but not yet acknowledged, per worker; past it the worker pauses its partitions.
        public var maxInFlight = 2_000
    }

    public func stage(named name: String) -> StageSpec? { stages.first { $0.name == name } }
    public func topic(named name: String) -> TopicSpec? { topics.first { $0.name == name } }

    /// The consumer group of a stage's workers.
    public func group(of stage: StageSpec) -> String { "\(name).\(stage.name)" }

    /// Resolves a path given in the file (a head) against the file's folder.
    public func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: directory).appendingPathComponent(path).path
    }
}

extension Workflow {
    static let keys = ["workflow", "topics", "input", "output", "dead_letter", "stages", "limits", "monitor"]

    /// Reads and validates a workflow file; errors name the key and the line.
    /// `tasks`: the task names its stages may use (a stage package passes its catalog's).
    public static func load(path: String, tasks: [StageTask] = StageTask.builtIn) throws(WorkflowError) -> Workflow {
        let text = try readFile(path)
        var workflow = try parse(text, file: path, tasks: tasks)
        workflow.directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return workflow
    }

    public static func parse(
        _ text: String, file: String = "<workflow>", tasks: [StageTask] = StageTask.builtIn
    ) throws(WorkflowError) -> Workflow {
        let root = try YAMLField.document(text, file: file)
        let entries = try root.mapping(allowed: keys)
        func required(_ key: String) throws(WorkflowError) -> YAMLField {
            guard let value = entries.first(where: { $0.key == key })?.value else {
                throw root.error("missing key '\(key)' (see the example in topics/sentiment-monitoring.yaml)")
            }
            return value
        }
        var workflow = Workflow(
            name: try required("workflow").string(),
            topics: try parseTopics(required("topics")),
            input: try required("input").string(),
            output: try required("output").string(),
            deadLetter: try required("dead_letter").string(),
            stages: [])
        for stageField in try required("stages").list() {
            workflow.stages.append(try StageSpec.parse(stageField, tasks: tasks))
        }
        if let limits = entries.first(where: { $0.key == "limits" })?.value {
            for (key, value) in try limits.mapping(allowed: ["max_text_bytes", "max_replay_attempts", "max_in_flight"])
            {
                switch key {
                case "max_text_bytes": workflow.limits.maxTextBytes = try value.int(atLeast: 1)
                case "max_replay_attempts": workflow.limits.maxReplayAttempts = try value.int(atLeast: 1)
                default: workflow.limits.maxInFlight = try value.int(atLeast: 1)
                }
            }
        }
        try workflow.checkStructure(root: root, stageFields: try required("stages").list())
        // After the structure check, so that rules can only name stages that exist.
        if let monitor = entries.first(where: { $0.key == "monitor" })?.value {
            workflow.monitor = try MonitorSpec.parse(
                monitor, stageNames: workflow.stages.map(\.name), topicNames: Set(workflow.topics.map(\.name)))
        }
        return workflow
    }

    /// Only the `topics:` section, for `sluice topics apply` (any workflow file, or a file of topics alone).
    public static func loadTopics(path: String) throws(WorkflowError) -> [TopicSpec] {
        let root = try YAMLField.document(try readFile(path), file: path)
        guard let topics = try root.mapping(allowed: []).first(where: { $0.key == "topics" })?.value else {
            throw root.error("missing key 'topics' (a mapping of topic name to partitions and config)")
        }
        return try parseTopics(topics)
    }

    static func parseTopics(_ field: YAMLField) throws(WorkflowError) -> [TopicSpec] {
        var topics: [TopicSpec] = []
        for (name, value) in try field.namedEntries() {
            topics.append(try TopicSpec.parse(name: name, field: value))
        }
        guard !topics.isEmpty else { throw field.error("declare at least one topic") }
        return topics
    }

    private static func readFile(_ path: String) throws(WorkflowError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WorkflowError(
                file: path, line: 0, path: "",
                message: "cannot read the file; check the path (workflow files live under topics/)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
