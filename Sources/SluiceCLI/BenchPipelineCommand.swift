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
            latency at half that rate, steadily paced; (4) a 3-stage passthrough workflow; (5) the \
            Python peer (scripts/bench_peer_pipeline.py) when confluent-kafka and \
            sentence-transformers import. Progress goes to stderr, figures to stdout.
            """)

    @Option(help: "Events through the workflow (corpus texts in file order).") var events = 2000
    @Option(help: "The workflow file.") var workflow = "topics/sentiment-monitoring.yaml"
    @Option(help: "How long to feed events for the latency figures.") var latencySeconds: Double = 15
    @Option(help: "Small events through the 3-stage passthrough workflow.") var passthroughEvents = 20000
    @Option(help: "Model directory (default: SLUICE_MODEL_DIR or .deps/model).") var model: String?
    @OptionGroup var broker: BrokerOptions
    @Option(help: "Events/s through the passthrough chain for the idle hop delays.") var hopRate: Double = 20
    @Flag(help: "Skip the Python peer even if it could run.") var noPeer = false

    func validate() throws {
        guard events >= 1, passthroughEvents >= 1 else {
            throw ValidationError("--events and --passthrough-events must be at least 1")
        }
        guard latencySeconds > 0 else { throw ValidationError("--latency-seconds must be positive") }
    }

    func run() throws {
        let loaded = try Workflow.load(path: workflow)
        try StageFactory.checkModels(of: loaded, modelDirectory: model)
        guard let embedStage = loaded.stages.first(where: { $0.task == .embed }) else {
            throw ValidationError("\(workflow) has no embed stage to compare with the encoder")
        }
        let texts = try corpusTexts(events)

        let (brokers, embedded) = try broker.givenOrEmbedded { note($0) }
        defer { embedded?.stop() }
        let bench = PipelineBenchmark(
            brokers: brokers, properties: try broker.extraProperties(), modelDirectory: model,
            encoderOptions: .fromEnvironment(), progress: { note($0) })
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)

        // The engine alone in the precision the embed stage runs, so the ratio compares like with like.
        let precision = try Precision.parse(embedStage.precision ?? "fp32")
        note("[encoder] embedding \(texts.count) texts in batches of \(embedStage.batchSize)")
        let (encoderRate, choice) = try bench.embeddingRate(
            texts: texts, batchSize: embedStage.batchSize, precision: precision)
        note("[encoder] \(f1(encoderRate)) sentences/s in \(choice)")

        let flow = try bench.throughput(
            PipelineBenchmark.renamed(loaded, suffix: "tp-\(run)"), texts: texts, phase: "throughput")
        note("[throughput] \(f1(flow.eventsPerSecond)) events/s")
        // Again right after: other processes on these cores move both figures, so bracket the workflow.
        note("[encoder] again, after the workflow phase")
        let encoderAfter = try bench.embeddingRate(
            texts: texts, batchSize: embedStage.batchSize, precision: precision
        ).rate
        note("[encoder] \(f1(encoderAfter)) sentences/s")
        let encoderMean = (encoderRate + encoderAfter) / 2

        let rate = flow.eventsPerSecond / 2
        let latency = try bench.latency(
            PipelineBenchmark.renamed(loaded, suffix: "lat-\(run)"), texts: texts, rate: rate,
            seconds: latencySeconds, phase: "latency")

        let yamlFile = FileManager.default.temporaryDirectory.appendingPathComponent("bench-passthrough-\(run).yaml")
        try passthroughYAML(name: "bench-passthrough").write(to: yamlFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: yamlFile) }
        let passthrough = PipelineBenchmark.renamed(try Workflow.load(path: yamlFile.path), suffix: "pt-\(run)")
        let ceiling = try bench.throughput(
            passthrough, texts: (0..<passthroughEvents).map { "event \($0)" }, phase: "passthrough")

        // Hop delay with idle stages: a few events a second through the passthrough chain,
        // so each record finds the next stage waiting for it.
        let idle = try bench.latency(
            PipelineBenchmark.renamed(try Workflow.load(path: yamlFile.path), suffix: "hop-\(run)"),
            texts: ["hop"], rate: hopRate, seconds: min(latencySeconds, 10), phase: "idle hops")

        let peer =
            noPeer
            ? "Python peer: not run (--no-peer)" : runPeer(bench, texts: texts, batch: embedStage.batchSize, run: run)

        let stages = loaded.stages.map { "\($0.name) (\($0.task.rawValue), batch \($0.batchSize))" }.joined(
            separator: " -> ")
        print("sluice bench pipeline: \(loaded.name): \(stages); \(texts.count) corpus texts in file order")
        print(
            "broker: \(embedded == nil ? brokers : "embedded Tansu at \(brokers)"); one in-process worker per stage; "
                + "fresh topics and groups per phase")
        print("")
        let ratio = flow.eventsPerSecond / encoderMean
        let embedSeconds = flow.stepSeconds.first { $0.stage == embedStage.name }?.seconds ?? 0
        print(pad("embed stage '\(embedStage.name)' precision") + "\(embedStage.precision ?? "fp32") -> \(choice)")
        print(
            pad("encoder alone (MiniLMEncoder.embed, batch \(embedStage.batchSize))")
                + "\(f1(encoderMean)) sentences/s (\(f1(encoderRate)) before the workflow phase, \(f1(encoderAfter)) after)"
        )
        print(
            pad("workflow throughput (\(loaded.stages.count) stages over Kafka)")
                + "\(f1(flow.eventsPerSecond)) events/s = \(String(format: "%.2f", ratio)) x encoder "
                + "(target >= 0.90: \(ratio >= 0.9 ? "met" : "NOT met")); "
                + "\(flow.events) events in \(String(format: "%.2f", flow.seconds)) s, \(flow.duplicates) duplicates, "
                + "\(flow.deadLettered) dead-lettered")
        print(
            pad("  where the time went (steps, from the hops)")
                + flow.stepSeconds.map { "\($0.stage) \(String(format: "%.2f", $0.seconds)) s" }.joined(separator: ", ")
                + " of \(String(format: "%.2f", flow.seconds)) s: the embed step had the wall clock "
                + "\(String(format: "%.0f", 100 * embedSeconds / flow.seconds))% of the time; inside the worker it ran at "
                + "\(f1(Double(flow.events) / max(1e-9, embedSeconds))) sentences/s")
        print(
            pad("end-to-end latency at \(f1(latency.rate)) events/s")
                + "p50 \(ms(latency.p50Ms)), p99 \(ms(latency.p99Ms)), max \(ms(latency.maxMs)) "
                + "(\(latency.measured) of \(latency.fed) events fed over \(f0(latencySeconds)) s after a 2 s warm-up; "
                + "created_at -> last hop's produced_at); target p50 <= 60 ms: \(latency.p50Ms <= 60 ? "met" : "NOT met"), "
                + "p99 <= 150 ms: \(latency.p99Ms <= 150 ? "met" : "NOT met")"
        )
        print(
            pad("  start-up (new feeder, workers just joined)")
                + "up to \(ms(latency.startupMs)) in the warm-up (connections, first fetches; not in the figures above)"
        )
        for edge in latency.hops.edges {
            print(
                pad("  hop \(edge.name)")
                    + "p50 \(ms(edge.p50Ms)), p99 \(ms(edge.p99Ms)) to the step; then the step "
                    + "\(ms(edge.stepP50Ms)) p50 per batch of \(edge.batchSizeP50) p50")
        }
        print(
            pad("runtime ceiling (3 passthrough stages)")
                + "\(f1(ceiling.eventsPerSecond)) events/s (\(ceiling.events) small events in \(String(format: "%.2f", ceiling.seconds)) s)"
        )
        print(
            pad("idle hops (3 passthrough stages at \(f0(hopRate)) events/s)")
                + idle.hops.edges.map { "\($0.name) \(ms($0.p50Ms)) p50 (p99 \(ms($0.p99Ms)))" }.joined(
                    separator: ", ")
                + " (target: each hop between stages < 5 ms p50)")
        print(peer)
        print("")
        print("load average: \(loadAverage()) (2 cores shared with other processes; rates drop when it exceeds 2)")
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
    func runPeer(_ bench: PipelineBenchmark, texts: [String], batch: Int, run: String) -> String {
        guard shell(["python3", "-c", "import confluent_kafka, sentence_transformers"]).status == 0 else {
            return "Python peer: not run (confluent-kafka and sentence-transformers not importable)"
        }
        guard let script = DepsLocator.find("scripts/bench_peer_pipeline.py") else {
            return "Python peer: not run (scripts/bench_peer_pipeline.py not found)"
        }
        let input = "peer-posts-\(run)"
        let output = "peer-features-\(run)"
        do {
            try bench.createTopic(input, partitions: 4)
            try bench.createTopic(output, partitions: 4)
            note("[peer] producing \(texts.count) events to \(input)")
            try bench.produce(texts: texts, topic: input, idPrefix: "peer")
        } catch {
            return "Python peer: not run (\(error))"
        }
        note("[peer] running \(script)")
        var args = [
            "python3", script, "--brokers", bench.brokers, "--input", input, "--output", output,
            "--events", String(texts.count), "--batch", String(batch), "--group", "peer-\(run)",
        ]
        if let model { args += ["--model", model] }
        let result = shell(args, captureOutput: true)
        let line = result.output.split(separator: "\n").last.map(String.init) ?? ""
        guard result.status == 0, !line.isEmpty else { return "Python peer: failed (exit \(result.status))" }
        return pad("Python peer (consume, embed, produce, commit)") + line
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

    func pad(_ label: String) -> String {
        label.padding(toLength: max(52, label.count + 1), withPad: " ", startingAt: 0) + " "
    }
    func f0(_ x: Double) -> String { String(format: "%.0f", x) }
    func f1(_ x: Double) -> String { String(format: "%.1f", x) }
    func ms(_ x: Double) -> String { x >= 100 ? "\(f0(x)) ms" : "\(f1(x)) ms" }
}

/// Progress to stderr, so stdout holds only the figures.
private func note(_ line: String) {
    FileHandle.standardError.write(Data("\(line)\n".utf8))
}
