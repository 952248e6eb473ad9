/// What a stage does to each event.
public enum StageTask: String, Sendable, CaseIterable {
    /// text -> sentence embedding (the transformer).
    case embed
    /// embedding -> topic label (zero-shot against label descriptions, or a trained head).
    case classify
    /// embedding -> negative / neutral / positive probabilities and a score in [-1, 1].
    case sentiment
    /// no model: passes events on, adding only its hop (measures the runtime's own ceiling).
    case passthrough

    /// Whether the task reads the `embedding` an earlier `embed` stage added.
    public var needsEmbedding: Bool { self == .classify || self == .sentiment }
}

public enum DeliveryMode: String, Sendable {
    /// Commit an input offset only after every output up to it was acknowledged.
    case atLeastOnce = "at-least-once"
    /// Produce outputs and commit input offsets in one Kafka transaction per batch.
    case exactlyOnce = "exactly-once"
}

/// A label for zero-shot classification: its name and one or more descriptions.
public struct LabelDescription: Sendable, Equatable {
    public var name: String
    public var descriptions: [String]

    public init(name: String, descriptions: [String]) {
        self.name = name
        self.descriptions = descriptions
    }
}

/// One stage of a workflow: a consumer group `<workflow>.<stage>` that reads
/// `input`, runs `task` on micro-batches and produces to `output`.
public struct StageSpec: Sendable, Equatable {
    public var name: String
    public var task: StageTask
    public var input: String
    public var output: String
    /// Micro-batching: run the step when this many records are in hand ...
    public var batchSize: Int = 32
    /// ... or when this many milliseconds passed since the first one arrived.
    public var batchWaitMs: Int = 20
    public var replicas: Int = 1
    public var delivery: DeliveryMode = .atLeastOnce
    /// `classify` only: zero-shot labels, or a trained head (`head`).
    public var labels: [LabelDescription] = []
    public var temperature: Double = 0.05
    /// `sentiment` (and a trained `classify`): the head file, relative to the workflow file's folder.
    public var head: String?
    /// The line of the stage in its file, for later checks' messages.
    public var line: Int = 0

    public init(name: String, task: StageTask, input: String, output: String) {
        self.name = name
        self.task = task
        self.input = input
        self.output = output
    }
}

extension StageSpec {
    static let keys = [
        "name", "task", "input", "output", "batch", "replicas", "delivery", "labels", "temperature", "head",
    ]

    static func parse(_ field: YAMLField) throws(WorkflowError) -> StageSpec {
        let entries = try field.mapping(allowed: keys)
        func required(_ key: String) throws(WorkflowError) -> YAMLField {
            guard let value = entries.first(where: { $0.key == key })?.value else {
                throw field.error("missing key '\(key)'")
            }
            return value
        }
        let taskField = try required("task")
        let taskName = try taskField.string()
        guard let task = StageTask(rawValue: taskName) else {
            let known = StageTask.allCases.map(\.rawValue).joined(separator: ", ")
            throw taskField.error("unknown task '\(taskName)'; expected one of: \(known)")
        }
        var stage = StageSpec(
            name: try required("name").string(), task: task,
            input: try required("input").string(), output: try required("output").string())
        stage.line = field.line
        for (key, value) in entries {
            switch key {
            case "batch":
                for (batchKey, batchValue) in try value.mapping(allowed: ["size", "wait_ms"]) {
                    if batchKey == "size" {
                        stage.batchSize = try batchValue.int(atLeast: 1)
                    } else {
                        stage.batchWaitMs = try batchValue.int(atLeast: 0)
                    }
                }
            case "replicas": stage.replicas = try value.int(atLeast: 1)
            case "delivery":
                let mode = try value.string()
                guard let delivery = DeliveryMode(rawValue: mode) else {
                    throw value.error("unknown delivery mode '\(mode)'; expected at-least-once or exactly-once")
                }
                stage.delivery = delivery
            case "labels":
                for (name, descriptions) in try value.namedEntries() {
                    stage.labels.append(LabelDescription(name: name, descriptions: try descriptions.strings()))
                }
            case "temperature": stage.temperature = try value.double(in: 0.001...10)
            case "head": stage.head = try value.string()
            default: break
            }
        }
        return stage
    }
}
