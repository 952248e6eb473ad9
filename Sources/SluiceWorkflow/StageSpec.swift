/// What a stage does to each event: a task name as written after `task:` in a
/// workflow file. The built-in tasks are below; a package that implements its own
/// stage adds its task (`StageCatalog.register` in SluicePipeline), and the
/// workflow is then parsed with that task among the known ones.
/// Two tasks are the same task when their names are equal.
public struct StageTask: Sendable, Hashable, CustomStringConvertible {
    /// The name in the workflow file (`embed`, `keywords`, ...).
    public let rawValue: String
    /// Whether the task reads the `embedding` an earlier `embed` stage added; the
    /// workflow check then requires an `embed` stage upstream of it.
    public let needsEmbedding: Bool

    /// A task of a stage written outside Sluice. `name` is what workflow files put after `task:`.
    public init(_ name: String, needsEmbedding: Bool = false) {
        self.rawValue = name
        self.needsEmbedding = needsEmbedding
    }

    /// text -> sentence embedding (the transformer).
    public static let embed = StageTask("embed")
    /// embedding -> topic label (zero-shot against label descriptions, or a trained head).
    public static let classify = StageTask("classify", needsEmbedding: true)
    /// embedding -> negative / neutral / positive probabilities and a score in [-1, 1].
    public static let sentiment = StageTask("sentiment", needsEmbedding: true)
    /// no model: passes events on, adding only its hop (measures the runtime's own ceiling).
    public static let passthrough = StageTask("passthrough")

    /// The tasks every workflow may use, in the order error messages list them.
    public static let builtIn: [StageTask] = [.embed, .classify, .sentiment, .passthrough]

    public var description: String { rawValue }

    public static func == (lhs: StageTask, rhs: StageTask) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
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
    /// Real texts that belong under the label (few-shot); each counts as much as a description.
    public var examples: [String]

    public init(name: String, descriptions: [String], examples: [String] = []) {
        self.name = name
        self.descriptions = descriptions
        self.examples = examples
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
    /// `batch: {latency_ms: N}`: a goal for a record's batch wait plus the step. The worker
    /// then sizes each batch from the arrival rate and its measured step time
    /// (`BatchPlanner`) instead of always waiting `batchWaitMs`; the wait never passes
    /// `batchWaitMs`, which is the goal unless `wait_ms` is given too. nil: fixed waits.
    public var batchLatencyMs: Int?
    public var replicas: Int = 1
    public var delivery: DeliveryMode = .atLeastOnce
    /// `classify` only: zero-shot labels, or a trained head (`head`).
    public var labels: [LabelDescription] = []
    public var temperature: Double = 0.05
    /// `classify` with labels: below this cosine to every label's prototype a text is `other`
    /// (nil: every text gets one of the labels).
    public var otherBelow: Double?
    /// `sentiment` (and a trained `classify`): the head file, relative to the workflow file's folder.
    public var head: String?
    /// `embed` only: the encoder's precision, one of `precisions` (nil: fp32). `sluice worker
    /// --precision` overrides it.
    public var precision: String?
    /// `autoscale:` bounds for `sluice up --autoscale` (nil: the stage keeps `replicas` workers).
    public var autoscale: AutoscaleSpec?
    /// `passthrough` only, for tests and benchmarks: milliseconds the step sleeps per record,
    /// a stand-in for a model step of known cost (0: none).
    public var costMs: Double = 0
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
        "precision", "other_below", "autoscale", "cost_ms",
    ]
    /// What `precision` may say (SluiceML's `Precision`; docs/models.md explains each).
    public static let precisions = ["fp32", "bf16", "int8", "auto"]

    /// `tasks`: the task names this file may use; an unknown one is an error that lists them.
    static func parse(_ field: YAMLField, tasks: [StageTask]) throws(WorkflowError) -> StageSpec {
        let entries = try field.mapping(allowed: keys)
        func required(_ key: String) throws(WorkflowError) -> YAMLField {
            guard let value = entries.first(where: { $0.key == key })?.value else {
                throw field.error("missing key '\(key)'")
            }
            return value
        }
        let taskField = try required("task")
        let taskName = try taskField.string()
        guard let task = tasks.first(where: { $0.rawValue == taskName }) else {
            let known = tasks.map(\.rawValue).joined(separator: ", ")
            throw taskField.error("unknown task '\(taskName)'; expected one of: \(known)")
        }
        var stage = StageSpec(
            name: try required("name").string(), task: task,
            input: try required("input").string(), output: try required("output").string())
        stage.line = field.line
        for (key, value) in entries {
            switch key {
            case "batch":
                try parseBatch(value, into: &stage)
            case "replicas": stage.replicas = try value.int(atLeast: 1)
            case "delivery":
                let mode = try value.string()
                guard let delivery = DeliveryMode(rawValue: mode) else {
                    throw value.error("unknown delivery mode '\(mode)'; expected at-least-once or exactly-once")
                }
                stage.delivery = delivery
            case "labels":
                // Each label: its descriptions (one text or a list), or {descriptions, examples}.
                for (name, entry) in try value.namedEntries() {
                    guard case .mapping = entry.node else {
                        stage.labels.append(LabelDescription(name: name, descriptions: try entry.strings()))
                        continue
                    }
                    var label = LabelDescription(name: name, descriptions: [])
                    for (key, texts) in try entry.mapping(allowed: ["descriptions", "examples"]) {
                        if key == "descriptions" { label.descriptions = try texts.strings() }
                        if key == "examples" { label.examples = try texts.strings() }
                    }
                    stage.labels.append(label)
                }
            case "temperature": stage.temperature = try value.double(in: 0.001...10)
            case "other_below":
                guard task == .classify else {
                    throw value.error("'other_below' applies to classify stages only; this stage's task is \(task)")
                }
                stage.otherBelow = try value.double(in: -1...1)
            case "head": stage.head = try value.string()
            case "autoscale": try parseAutoscale(value, into: &stage)
            case "cost_ms":
                guard task == .passthrough else {
                    throw value.error("'cost_ms' applies to passthrough stages only; this stage's task is \(task)")
                }
                stage.costMs = try value.double(in: 0...60_000)
            case "precision":
                let precision = try value.string()
                guard precisions.contains(precision) else {
                    throw value.error(
                        "unknown precision '\(precision)'; expected one of: \(precisions.joined(separator: ", "))")
                }
                guard task == .embed else {
                    throw value.error("'precision' applies to embed stages only; this stage's task is \(task)")
                }
                stage.precision = precision
            default: break
            }
        }
        return stage
    }
}
