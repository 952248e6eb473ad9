import ArgumentParser
import Foundation
import SluiceBench
import SluiceKafka
import SluiceML
import SluicePipeline
import SluiceWorkerMain
import SluiceWorkflow

/// `sluice bench pipeline`: the whole workflow over Kafka, in one run, beside
/// the engine's own embedding rate, the runtime's passthrough ceiling and
/// (when installed) a Python consumer/embedder/producer on the same broker.
struct BenchPipeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Benchmark a workflow end to end: throughput, latency, and the runtime's ceiling.",
        discussion: """
            Phases, each on fresh topics and consumer groups: (1) the encoder alone on the N texts \
            in batches of the embed stage's size; (2) N events pre-produced, one in-process worker \
            per stage, timed from when all hold partitions to the last output; (3) end-to-end \
            latency at half that rate, steadily paced, after a 2 s warm-up; the idle hops: 3 \
            passthrough stages at --hop-rate; (4) a 3-stage passthrough workflow; (5) the \
            Python peer (scripts/bench_peer_pipeline.py) when confluent-kafka and \
            sentence-transformers import. Phases 2 and 3 and the idle hops run with in-process \
            workers, and with --processes again with one `sluice worker` process per stage. \
            Progress goes to stderr, figures to stdout (--json: one object).
            """)

    @Option(help: "Events through the workflow (corpus texts in file order).") var events = 2000
    @Option(help: "The workflow file.") var workflow = "topics/sentiment-monitoring.yaml"
    @Option(help: "How long to feed events for the latency figures.") var latencySeconds: Double = 15
    @Option(help: "Small events through the 3-stage passthrough workflow.") var passthroughEvents = 20000
    @Option(help: "Model directory (default: SLUICE_MODEL_DIR or .deps/model).") var model: String?
    @OptionGroup var broker: BrokerOptions
    @Option(help: "Events/s through the passthrough chain for the idle hop delays.") var hopRate: Double = 20
    @Flag(help: "Skip the Python peer even if it could run.") var noPeer = false
    @Flag(
        help:
            "Also run the workflow phases with each stage as its own `sluice worker` process, as `sluice up` runs them."
    )
    var processes = false
    @Option(help: "Each worker's batches in flight (1: the strictly sequential loop, for a comparison).")
    var batchesInFlight = 2
    @Flag(help: "Print the figures as one JSON object (for scripts) instead of text.") var json = false

    func validate() throws {
        guard events >= 1, passthroughEvents >= 1 else {
            throw ValidationError("--events and --passthrough-events must be at least 1")
        }
        guard latencySeconds > 0 else { throw ValidationError("--latency-seconds must be positive") }
        guard (1...64).contains(batchesInFlight) else { throw ValidationError("--batches-in-flight must be 1...64") }
    }

    func run() throws {
        let loaded = try Workflow.load(path: workflow)
        try StageFactory.checkModels(of: loaded, modelDirectory: model)
        guard let embedStage = loaded.stages.first(where: { $0.task == .embed }) else {
            throw ValidationError("\(workflow) has no embed stage to compare with the encoder")
        }
        let texts = try corpusTexts(events)
        let loadBefore = loadAverage()

        let (brokers, embedded) = try broker.givenOrEmbedded { note($0) }
        defer { embedded?.stop() }
        var bench = PipelineBenchmark(
            brokers: brokers, properties: try broker.extraProperties(), modelDirectory: model,
            encoderOptions: .fromEnvironment(), progress: { note($0) })
        bench.brokerPID = embedded?.pid
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        bench.batchesInFlight = batchesInFlight
        var modes: [WorkerMode] = [.inProcess]
        if processes { modes.append(.processes(executable: Self.executable)) }

        // The engine alone in the precision the embed stage runs, so the ratio compares like with like.
        let precision = try Precision.parse(embedStage.precision ?? "fp32")
        note("[encoder] embedding \(texts.count) texts in batches of \(embedStage.batchSize)")
        let (encoderRate, choice, encoderCPU) = try bench.embeddingRate(
            texts: texts, batchSize: embedStage.batchSize, precision: precision)
        note("[encoder] \(f1(encoderRate)) sentences/s in \(choice)")

        var flows: [PipelineBenchmark.Throughput] = []
        for (index, mode) in modes.enumerated() {
            bench.mode = mode
            let fresh = try bench.fresh(workflow, suffix: "tp\(index)-\(run)")
            defer { fresh.remove() }
            flows.append(try bench.throughput(fresh, texts: texts, phase: "throughput, \(mode.name)"))
            note("[throughput, \(mode.name)] \(f1(flows[index].eventsPerSecond)) events/s")
        }
        // Again right after: other processes on these cores move both figures, so bracket the workflow.
        note("[encoder] again, after the workflow phases")
        let encoderAfter = try bench.embeddingRate(
            texts: texts, batchSize: embedStage.batchSize, precision: precision
        ).rate
        note("[encoder] \(f1(encoderAfter)) sentences/s")

        let yamlFile = FileManager.default.temporaryDirectory.appendingPathComponent("bench-passthrough-\(run).yaml")
        try passthroughYAML(name: "bench-passthrough").write(to: yamlFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: yamlFile) }
        var latencies: [PipelineBenchmark.Latency] = []
        var idleHops: [PipelineBenchmark.Latency] = []
        for (index, mode) in modes.enumerated() {
            bench.mode = mode
            let fresh = try bench.fresh(workflow, suffix: "lat\(index)-\(run)")
            defer { fresh.remove() }
            latencies.append(
                try bench.latency(
                    fresh, texts: texts, rate: flows[index].eventsPerSecond / 2, seconds: latencySeconds,
                    phase: "latency, \(mode.name)"))
            // Hop delay with idle stages: a few events a second through the passthrough chain,
            // so each record finds the next stage waiting for it.
            let chain = try bench.fresh(yamlFile.path, suffix: "hop\(index)-\(run)")
            defer { chain.remove() }
            idleHops.append(
                try bench.latency(
                    chain, texts: ["hop"], rate: hopRate, seconds: min(latencySeconds, 10),
                    phase: "idle hops, \(mode.name)"))
        }

        bench.mode = .inProcess
        let passthrough = try bench.fresh(yamlFile.path, suffix: "pt-\(run)")
        defer { passthrough.remove() }
        let ceiling = try bench.throughput(
            passthrough, texts: (0..<passthroughEvents).map { "event \($0)" }, phase: "passthrough")

        let peer =
            noPeer
            ? .notRun("--no-peer") : runPeer(bench, texts: texts, batch: embedStage.batchSize, run: run)

        let report = BenchPipelineReport(
            workflow: loaded, embedStage: embedStage, choice: "\(choice)", texts: texts.count, brokers: brokers,
            embedded: embedded != nil, encoderBefore: encoderRate, encoderAfter: encoderAfter,
            encoderCPUPerText: encoderCPU, modes: modes,
            flows: flows, latencies: latencies, idleHops: idleHops, ceiling: ceiling, peer: peer,
            loadBefore: loadBefore, loadAfter: loadAverage(), hopRate: hopRate, latencySeconds: latencySeconds,
            batchesInFlight: batchesInFlight)
        if json {
            print(report.json.serialized())
        } else {
            report.printText()
        }
    }

    /// This very binary, for the worker processes.
    static var executable: URL {
        let argument = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        return FileManager.default.isExecutableFile(atPath: argument.path)
            ? argument : URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    }

    // MARK: pieces

    func corpusTexts(_ count: Int) throws -> [String] {
        var seen = Set<String>()
        let distinct = try TweetCorpus.load().rows.map(\.text).filter { !$0.isEmpty && seen.insert($0).inserted }
        guard !distinct.isEmpty else { throw ValidationError("the corpus is empty; run `make setup`") }
        return (0..<count).map { distinct[$0 % distinct.count] }
    }

    func passthroughYAML(name: String) -> String {
        """
        workflow: \(name)
        topics:
          in:   { partitions: 4 }
          a:    { partitions: 4 }
          b:    { partitions: 4 }
          out:  { partitions: 4 }
          dead: { partitions: 1 }
        input: in
        output: out
        dead_letter: dead
        stages:
          - { name: one, task: passthrough, input: in, output: a, batch: { max: 500, latency_ms: 10 } }
          - { name: two, task: passthrough, input: a, output: b, batch: { max: 500, latency_ms: 10 } }
          - { name: three, task: passthrough, input: b, output: out, batch: { max: 500, latency_ms: 10 } }
        """
    }

    /// scripts/bench_peer_pipeline.py against the same broker, on its own topics holding the same N events.
    func runPeer(_ bench: PipelineBenchmark, texts: [String], batch: Int, run: String) -> PeerResult {
        guard shell(["python3", "-c", "import confluent_kafka, sentence_transformers"]).status == 0 else {
            return .notRun("confluent-kafka and sentence-transformers not importable")
        }
        guard let script = DepsLocator.find("scripts/bench_peer_pipeline.py") else {
            return .notRun("scripts/bench_peer_pipeline.py not found")
        }
        let input = "peer-posts-\(run)"
        let output = "peer-features-\(run)"
        do {
            try bench.createTopic(input, partitions: 4)
            try bench.createTopic(output, partitions: 4)
            note("[peer] producing \(texts.count) events to \(input)")
            try bench.produce(texts: texts, topic: input, idPrefix: "peer")
        } catch {
            return .notRun("\(error)")
        }
        note("[peer] running \(script)")
        var args = [
            "python3", script, "--brokers", bench.brokers, "--input", input, "--output", output,
            "--events", String(texts.count), "--batch", String(batch), "--group", "peer-\(run)",
        ]
        if let model { args += ["--model", model] }
        let result = shell(args, captureOutput: true)
        let line = result.output.split(separator: "\n").last.map(String.init) ?? ""
        // "81.2 events/s (...)"
        guard result.status == 0, let rate = line.split(separator: " ").first.flatMap({ Double($0) }) else {
            return .notRun("it failed (exit \(result.status))")
        }
        return .ran(eventsPerSecond: rate, line: line)
    }

    func shell(_ args: [String], captureOutput: Bool = false) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = captureOutput ? pipe : FileHandle.nullDevice
        p.standardError = captureOutput ? FileHandle.standardError : FileHandle.nullDevice
        do { try p.run() } catch { return (-1, "") }
        let data = captureOutput ? pipe.fileHandleForReading.readDataToEndOfFile() : Data()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
            .joined(separator: " ") ?? "?"
    }

    func f1(_ x: Double) -> String { String(format: "%.1f", x) }
}

/// Progress to stderr, so stdout holds only the figures.
private func note(_ line: String) {
    FileHandle.standardError.write(Data("\(line)\n".utf8))
}
