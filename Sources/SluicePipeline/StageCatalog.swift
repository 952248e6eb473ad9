import SluiceML
import SluiceWorkflow

/// What a factory gets to build the step of one stage.
public struct StageContext: Sendable {
    /// The stage's declaration in the workflow file (name, task, topics, batch, ...).
    public let spec: StageSpec
    /// The whole workflow; `workflow.resolve(_:)` turns a path from the file into one to open.
    public let workflow: Workflow
    /// `--model` of the worker, for stages that load the encoder; nil for the default.
    public let modelDirectory: String?
    /// The encoder's tuning, for stages that load it.
    public let encoderOptions: EncoderOptions

    public init(
        spec: StageSpec, workflow: Workflow, modelDirectory: String? = nil,
        encoderOptions: EncoderOptions = EncoderOptions()
    ) {
        self.spec = spec
        self.workflow = workflow
        self.modelDirectory = modelDirectory
        self.encoderOptions = encoderOptions
    }
}

/// The tasks a worker can run, each name mapped to the factory of its `Stage`.
///
/// `StageCatalog.builtIn` holds Sluice's own (`embed`, `classify`, `sentiment`,
/// `passthrough`). A package with its own stage registers its task on a copy and
/// hands the catalog to `WorkerMain.run` (module SluiceWorkerMain), which parses
/// the workflow with the catalog's task names: a file naming a task that is not
/// registered fails to load, and the error lists the tasks that are.
public struct StageCatalog: Sendable {
    /// Builds the step once per worker, before it joins its group. A thrown error
    /// stops the worker at start with that error (e.g. a missing model file).
    public typealias Factory = @Sendable (StageContext) throws -> any Stage

    /// The registered tasks, built-in first, then in the order they were registered.
    public private(set) var tasks: [StageTask]
    private var factories: [String: Factory]

    /// Sluice's own tasks, as `sluice worker` runs them.
    public static let builtIn: StageCatalog = {
        let make: Factory = {
            try StageFactory.make(
                $0.spec, workflow: $0.workflow, modelDirectory: $0.modelDirectory, encoderOptions: $0.encoderOptions)
        }
        return StageCatalog(
            tasks: StageTask.builtIn,
            factories: Dictionary(uniqueKeysWithValues: StageTask.builtIn.map { ($0.rawValue, make) }))
    }()

    private init(tasks: [StageTask], factories: [String: Factory]) {
        self.tasks = tasks
        self.factories = factories
    }

    /// Adds `task`, built by `make`. Throws for a name that is taken (built-in or
    /// registered before) and for one a workflow file could not hold: names are
    /// lowercase ASCII letters, digits, `-` and `_`, starting with a letter.
    public mutating func register(_ task: StageTask, make: @escaping Factory) throws(PipelineError) {
        let name = task.rawValue
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first),
            name.unicodeScalars.allSatisfy({
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
            })
        else {
            throw PipelineError(
                "task name '\(name)' must be lowercase letters, digits, '-' or '_', starting with a letter")
        }
        guard factories[name] == nil else {
            throw PipelineError("task '\(name)' is already registered; the catalog has \(names)")
        }
        tasks.append(task)
        factories[name] = make
    }

    /// Reads and validates a workflow file whose stages may use any registered task.
    public func loadWorkflow(path: String) throws(WorkflowError) -> Workflow {
        try Workflow.load(path: path, tasks: tasks)
    }

    /// Builds the step of `spec` with its task's factory.
    public func makeStage(
        for spec: StageSpec, in workflow: Workflow, modelDirectory: String? = nil,
        encoderOptions: EncoderOptions = EncoderOptions()
    ) throws -> any Stage {
        guard let make = factories[spec.task.rawValue] else {
            throw PipelineError(
                "stage '\(spec.name)': task '\(spec.task.rawValue)' is not registered; the catalog has \(names)")
        }
        return try make(
            StageContext(spec: spec, workflow: workflow, modelDirectory: modelDirectory, encoderOptions: encoderOptions)
        )
    }

    private var names: String { tasks.map(\.rawValue).joined(separator: ", ") }
}
