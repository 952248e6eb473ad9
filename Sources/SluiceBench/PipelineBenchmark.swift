import Foundation
import Logging
import SluiceEvents
import SluiceKafka
import SluiceML
import SluicePipeline
import SluiceWorkflow

/// The measurements behind `sluice bench pipeline`: a workflow run in-process
/// (one `StageWorker` per stage, each on its own thread) against a broker.
/// Every phase gets fresh topics and consumer groups (`fresh(_:suffix:)`), so
/// phases never read each other's records.
public struct PipelineBenchmark: Sendable {
    public let brokers: String
    public let properties: [String: String]
    public let modelDirectory: String?
    public let encoderOptions: EncoderOptions
    /// Progress lines (the command sends them to stderr).
    public let progress: @Sendable (String) -> Void
    /// In-process workers (the default) or `sluice worker` processes.
    public var mode: WorkerMode = .inProcess
    /// Each worker's `batchesInFlight` (`sluice worker --batches-in-flight`).
    public var batchesInFlight = 2
    /// The embedded broker's process, for the CPU budget (nil: a broker elsewhere, not counted).
    public var brokerPID: Int32?

    public init(
        brokers: String, properties: [String: String] = [:], modelDirectory: String? = nil,
        encoderOptions: EncoderOptions = EncoderOptions(), progress: @escaping @Sendable (String) -> Void
    ) {
        self.encoderOptions = encoderOptions
        self.brokers = brokers
        self.properties = properties
        self.modelDirectory = modelDirectory
        self.progress = progress
    }

    var config: KafkaConfig { KafkaConfig(bootstrapServers: brokers, clientID: "sluice-bench", properties: properties) }

    /// A workflow renamed for one phase: parsed, and written out for worker processes.
    public struct BenchWorkflow: Sendable {
        public var workflow: Workflow
        /// The renamed file, beside the original so relative `head:` paths still resolve.
        public var file: String
        public func remove() { try? FileManager.default.removeItem(atPath: file) }
    }

    /// The workflow file `path` with every topic (and so every group) renamed `<name>-<suffix>`,
    /// written beside it as a hidden file; `remove()` it after the phase.
    public func fresh(_ path: String, suffix: String) throws -> BenchWorkflow {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let url = URL(fileURLWithPath: path)
        let file = url.deletingLastPathComponent().appendingPathComponent(".bench-\(suffix)-\(url.lastPathComponent)")
            .path
        try Workflow.renamedText(text, suffix: suffix, file: path).write(
            toFile: file, atomically: true, encoding: .utf8)
        do {
            return BenchWorkflow(workflow: try Workflow.load(path: file), file: file)
        } catch {
            try? FileManager.default.removeItem(atPath: file)
            throw error
        }
    }

    // MARK: results

    public struct Throughput: Sendable {
        public var events: Int
        public var seconds: Double
        public var duplicates: Int
        public var deadLettered: Int
        /// Per stage, in workflow order: the seconds its step ran (process_us / batch_size summed over events).
        public var stepSeconds: [(stage: String, seconds: Double)]
        /// Per stage, in workflow order: records per batch, averaged over batches.
        public var meanBatchSize: [(stage: String, size: Double)]
        /// CPU seconds of each process over the run (the bench itself, each worker process,
        /// the embedded broker), from when all workers held partitions to the last output.
        public var cpu: CPUBudget
        public var eventsPerSecond: Double { Double(events) / seconds }
    }

    public struct Latency: Sendable {
        public var rate: Double
        public var fed: Int
        public var measured: Int
        public var p50Ms: Double
        public var p99Ms: Double
        public var maxMs: Double
        /// The slowest event of the warm-up, fed from the moment the workers joined.
        public var startupMs: Double
        public var hops: HopDelays
    }

    // MARK: phases

    /// The engine alone, in the precision the embed stage runs (`precision`): `texts` embedded in
    /// batches of `batchSize`, after a warm-up batch. Sentences/s, what the precision became
    /// here, and the CPU seconds this process spent per sentence over the timed batches (what
    /// the embed worker's figure in the CPU budget compares with).
    public func embeddingRate(texts: [String], batchSize: Int, precision: Precision) throws -> (
        rate: Double, precision: PrecisionChoice, cpuPerText: Double?
    ) {
        var options = encoderOptions
        options.precision = precision
        let encoder = try MiniLMEncoder(modelDirectory: modelDirectory, options: options)
        _ = try encoder.embed(Array(texts.prefix(batchSize)))
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuBefore = ProcessCPU.ownSeconds
        var i = 0
        while i < texts.count {
            _ = try encoder.embed(Array(texts[i..<min(i + batchSize, texts.count)]))
            i += batchSize
        }
        let cpu = cpuBefore.flatMap { before in ProcessCPU.ownSeconds.map { ($0 - before) / Double(texts.count) } }
        return (
            Double(texts.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9), encoder.precision, cpu
        )
    }

    /// Pre-produces `texts` to the workflow's input, then starts one worker per
    /// stage and times from when all of them hold partitions (or the first
    /// record was consumed, if earlier) to the last hop of the last output.
    public func throughput(_ bench: BenchWorkflow, texts: [String], phase: String) throws -> Throughput {
        let workflow = bench.workflow
        try applyTopics(workflow)
        progress("[\(phase)] producing \(texts.count) events to \(workflow.input)")
        try produce(texts: texts, topic: workflow.input, idPrefix: phase)
        let reader = try OutputReader(config: config, topic: workflow.output)
        defer { reader.close() }
        let workers = try startWorkers(bench, phase: phase, reader: reader)
        defer { workers.forEach { $0.stop() } }
        let allAssigned = EventClock.nowMicros()
        let meter = CPUBudget.Meter(budgetProcesses(workers, stages: workflow.stages.map(\.name)))
        progress("[\(phase)] all workers hold partitions; waiting for \(texts.count) events on \(workflow.output)")
        let timeout = max(120, Double(texts.count) / 5)
        let outputs = try reader.read(
            count: texts.count, timeout: timeout, progress: progressEvery(phase, total: texts.count))
        guard outputs.envelopes.count >= texts.count else {
            throw PipelineError(
                "[\(phase)] only \(outputs.envelopes.count) of \(texts.count) events reached \(workflow.output) within \(Int(timeout)) s"
            )
        }
        let firstStage = workflow.stages.first?.name
        let firstConsumed = outputs.envelopes.values.compactMap { $0.hops.first { $0.stage == firstStage }?.consumedAt }
            .min()
        let start = min(allAssigned, firstConsumed ?? allAssigned)
        let end = outputs.envelopes.values.compactMap { $0.hops.last?.producedAt }.max() ?? EventClock.nowMicros()
        let cpu = meter.finish()
        workers.forEach { $0.stop() }
        let deadLettered = workers.reduce(0) { $0 + $1.deadLettered }
        var busy: [String: Double] = [:]
        var batches: [String: Double] = [:]
        for event in outputs.envelopes.values {
            for hop in event.hops {
                busy[hop.stage, default: 0] += Double(hop.processMicros) / Double(max(1, hop.batchSize)) / 1e6
                batches[hop.stage, default: 0] += 1 / Double(max(1, hop.batchSize))
            }
        }
        return Throughput(
            events: outputs.envelopes.count, seconds: Double(end - start) / 1e6, duplicates: outputs.duplicates,
            deadLettered: deadLettered, stepSeconds: workflow.stages.map { ($0.name, busy[$0.name] ?? 0) },
            meanBatchSize: workflow.stages.map {
                ($0.name, Double(outputs.envelopes.count) / max(1e-9, batches[$0.name] ?? 0))
            }, cpu: cpu)
    }

    /// The processes whose CPU the budget reads: this one (the output reader, and the workers
    /// when they run in-process), each worker process, and the embedded broker when there is one.
    func budgetProcesses(_ workers: [any BenchWorker], stages: [String]) -> [(name: String, pid: Int32)] {
        var processes: [(name: String, pid: Int32)] = []
        let inProcess = workers.contains { $0.pid == nil }
        processes.append((inProcess ? "bench (reader, in-process workers)" : "bench (output reader)", getpid()))
        for (stage, worker) in zip(stages, workers) {
            if let pid = worker.pid { processes.append(("worker \(stage)", pid)) }
        }
        if let brokerPID { processes.append(("broker (embedded Tansu)", brokerPID)) }
        return processes
    }

    /// Starts the workers first, then feeds `texts` (cycled) at `rate` events/s,
    /// steadily paced, for `seconds`; latency is created_at to the last hop's produced_at.
    public func latency(_ bench: BenchWorkflow, texts: [String], rate: Double, seconds: Double, phase: String) throws
        -> Latency
    {
        let workflow = bench.workflow
        try applyTopics(workflow)
        let reader = try OutputReader(config: config, topic: workflow.output)
        defer { reader.close() }
        let workers = try startWorkers(bench, phase: phase, reader: reader)
        defer { workers.forEach { $0.stop() } }
        // The first records of a new producer wait for its connection and producer id, and a
        // stage's first ones for its first fetches (0.5-1 s in all): a start-up cost, reported
        // apart from the steady state, which is timed once a warm-up has gone through the chain.
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: config))
        defer { producer.close() }
        progress("[\(phase)] warming up: 2 s at the same rate")
        let warm = try feed(
            texts: texts, topic: workflow.input, rate: rate, seconds: 2, idPrefix: "\(phase)-warm", with: producer)
        let warmed = try reader.read(count: warm, timeout: 60, progress: progressEvery(phase, total: warm))
        let startupMs =
            warmed.envelopes.values.compactMap { event in
                event.hops.last.map { Double($0.producedAt - event.createdAt) / 1000 }
            }.max() ?? 0
        progress(
            "[\(phase)] feeding \(workflow.input) at \(String(format: "%.1f", rate)) events/s for \(Int(seconds)) s")
        let fed = try feed(
            texts: texts, topic: workflow.input, rate: rate, seconds: seconds, idPrefix: phase, with: producer)
        progress("[\(phase)] fed \(fed) events; waiting for them on \(workflow.output)")
        let outputs = try reader.read(count: fed, timeout: 60 + seconds, progress: progressEvery(phase, total: fed))
        let latencies = outputs.envelopes.values.compactMap { event -> Double? in
            guard let last = event.hops.last else { return nil }
            return Double(last.producedAt - event.createdAt) / 1000
        }.sorted()
        guard !latencies.isEmpty else { throw PipelineError("[\(phase)] no event came out of \(workflow.output)") }
        func percentile(_ p: Double) -> Double {
            latencies[min(latencies.count - 1, max(0, Int((p * Double(latencies.count)).rounded(.up)) - 1))]
        }
        return Latency(
            rate: rate, fed: fed, measured: latencies.count, p50Ms: percentile(0.5), p99Ms: percentile(0.99),
            maxMs: latencies.last!, startupMs: startupMs,
            hops: HopDelays(events: Array(outputs.envelopes.values), stages: workflow.stages.map(\.name)))
    }

    // MARK: pieces

    public func applyTopics(_ workflow: Workflow) throws {
        _ = try TopicApplier.apply(workflow.topics, admin: try KafkaAdmin(config: config))
    }

    /// Creates one topic (for the peer).
    public func createTopic(_ name: String, partitions: Int) throws {
        _ = try TopicApplier.apply(
            [TopicSpec(name: name, partitions: partitions)], admin: try KafkaAdmin(config: config))
    }

    /// Sends `texts` as events `<idPrefix>-<i>` and waits for every acknowledgement.
    public func produce(texts: [String], topic: String, idPrefix: String) throws {
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: config))
        defer { producer.close() }
        let messages = texts.enumerated().map { i, text in
            let id = "\(idPrefix)-\(i)"
            return KafkaProducerMessage(
                topic: topic, key: Array(id.utf8),
                value: Envelope(id: id, createdAt: EventClock.nowMicros(), text: text).encoded())
        }
        let reports = try producer.sendBatch(messages, timeoutMs: 120_000)
        let failed = reports.filter { !$0.isDelivered }.count
        guard failed == 0 else {
            throw PipelineError("\(failed) of \(messages.count) events to \(topic) were not acknowledged")
        }
    }

    /// Steady pacing: event n is sent n / rate seconds after the start. Returns how many were acknowledged.
    func feed(
        texts: [String], topic: String, rate: Double, seconds: Double, idPrefix: String, with producer: KafkaProducer
    ) throws -> Int {
        let collector = DeliveryCount()
        let total = max(1, Int(rate * seconds))
        let started = DispatchTime.now().uptimeNanoseconds
        for index in 0..<total {
            let due = started + UInt64(Double(index) / rate * 1e9)
            let now = DispatchTime.now().uptimeNanoseconds
            if due > now { Thread.sleep(forTimeInterval: Double(due - now) / 1e9) }
            let id = "\(idPrefix)-\(index)"
            let event = Envelope(id: id, createdAt: EventClock.nowMicros(), text: texts[index % texts.count])
            try producer.enqueue(
                KafkaProducerMessage(topic: topic, key: Array(id.utf8), value: event.encoded()),
                waitingForSpaceUpToMs: 10_000
            ) { report in collector.add(report.isDelivered) }
        }
        try producer.flush()
        return collector.delivered
    }

    /// Starts the later stages and waits until they (and the output reader) hold
    /// partitions, then the first stage, so no input is consumed before the whole chain is ready.
    func startWorkers(_ bench: BenchWorkflow, phase: String, reader: OutputReader) throws -> [any BenchWorker] {
        let workflow = bench.workflow
        progress("[\(phase)] loading \(workflow.stages.count) stages and joining their groups (\(mode.description))")
        var workers: [any BenchWorker] = []
        do {
            let start: (StageSpec) throws -> any BenchWorker
            switch mode {
            case .inProcess:
                let steps = try workflow.stages.map {
                    try StageFactory.make(
                        $0, workflow: workflow, modelDirectory: modelDirectory, encoderOptions: encoderOptions)
                }
                start = { spec in
                    let index = workflow.stages.firstIndex { $0.name == spec.name }!
                    return self.worker(workflow, spec, steps[index], phase: phase)
                }
            case .processes(let executable):
                start = { spec in
                    try ProcessWorker(
                        executable: executable, workflowFile: bench.file, stage: spec.name, brokers: self.brokers,
                        properties: self.properties, extra: ["--batches-in-flight", String(self.batchesInFlight)])
                }
            }
            for spec in workflow.stages.dropFirst() { workers.append(try start(spec)) }
            try reader.waitForAssignment(timeout: 60)
            for w in workers { try w.waitForAssignment(timeout: 120) }
            if let first = workflow.stages.first {
                let w = try start(first)
                workers.insert(w, at: 0)
                try w.waitForAssignment(timeout: 120)
            }
        } catch {
            workers.forEach { $0.stop() }
            throw error
        }
        return workers
    }

    private func worker(_ workflow: Workflow, _ spec: StageSpec, _ step: any Stage, phase: String) -> ThreadedWorker {
        var logger = Logger(label: "bench.\(spec.name)")
        logger.logLevel = .warning
        return ThreadedWorker(
            worker: StageWorker(
                workflow: workflow, stage: spec, step: step,
                options: WorkerOptions(
                    brokers: brokers, properties: properties, workerID: "bench-\(phase)-\(spec.name)",
                    batchesInFlight: batchesInFlight),
                logger: logger))
    }

    private func progressEvery(_ phase: String, total: Int) -> @Sendable (Int) -> Void {
        let progress = self.progress
        return { count in progress("[\(phase)] \(count) / \(total) events out") }
    }
}

/// Counts delivery reports from the producer's poll thread.
final class DeliveryCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add(_ delivered: Bool) {
        lock.lock()
        if delivered { count += 1 }
        lock.unlock()
    }
    var delivered: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
