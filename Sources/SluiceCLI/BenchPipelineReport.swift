import Foundation
import SluiceBench
import SluiceJSON
import SluiceML
import SluiceWorkflow

/// What the Python peer of `sluice bench pipeline` gave.
enum PeerResult {
    case ran(eventsPerSecond: Double, line: String)
    case notRun(String)
}

extension WorkerMode {
    /// "in-process" or "processes", as the report names the modes.
    var name: String {
        switch self {
        case .inProcess: return "in-process"
        case .processes: return "processes"
        }
    }
}

/// The figures of one `sluice bench pipeline` run, as text or as one JSON object; each target is
/// judged on ratios and figures from this same run.
struct BenchPipelineReport {
    var workflow: Workflow
    var embedStage: StageSpec
    var choice: String
    var texts: Int
    var brokers: String
    var embedded: Bool
    var encoderBefore: Double
    var encoderAfter: Double
    /// CPU seconds per sentence of the encoder alone (the first measurement).
    var encoderCPUPerText: Double?
    var modes: [WorkerMode]
    var flows: [PipelineBenchmark.Throughput]
    var latencies: [PipelineBenchmark.Latency]
    var idleHops: [PipelineBenchmark.Latency]
    var ceiling: PipelineBenchmark.Throughput
    var peer: PeerResult
    var loadBefore: String
    var loadAfter: String
    var hopRate: Double
    var latencySeconds: Double
    var batchesInFlight: Int

    static let ratioTarget = 0.95, p50Target = 60.0, p99Target = 150.0, hopTarget = 5.0, peerTarget = 3.0

    var encoderMean: Double { (encoderBefore + encoderAfter) / 2 }
    func ratio(_ index: Int) -> Double { flows[index].eventsPerSecond / encoderMean }
    /// The hops between stages (not input -> first stage, which holds the feeder's producer).
    func stageHops(_ index: Int) -> [HopDelays.Edge] { Array(idleHops[index].hops.edges.dropFirst()) }
    var peerRate: Double? {
        if case .ran(let rate, _) = peer { return rate }
        return nil
    }

    func printText() {
        let stages = workflow.stages.map { "\($0.name) (\($0.task.rawValue), batch \($0.batchSize))" }.joined(
            separator: " -> ")
        print("sluice bench pipeline: \(workflow.name): \(stages); \(texts) corpus texts in file order")
        print(
            "broker: \(embedded ? "embedded Tansu at \(brokers)" : brokers); "
                + "\(modes.map(\.description).joined(separator: ", then ")), \(batchesInFlight) batch(es) in flight each; "
                + "fresh topics and groups per phase")
        print("CPU: \(CPUFeatures.current); load average \(loadBefore) before, \(loadAfter) after")
        print("")
        print(pad("embed stage '\(embedStage.name)' precision") + "\(embedStage.precision ?? "fp32") -> \(choice)")
        print(
            pad("encoder alone (MiniLMEncoder.embed, batch \(embedStage.batchSize))")
                + "\(f1(encoderMean)) sentences/s (\(f1(encoderBefore)) before the workflow phases, "
                + "\(f1(encoderAfter)) after)")
        for (index, mode) in modes.enumerated() {
            let flow = flows[index]
            let latency = latencies[index]
            print("")
            print("[\(mode.name)]")
            print(
                pad("workflow throughput (\(workflow.stages.count) stages over Kafka)")
                    + "\(f1(flow.eventsPerSecond)) events/s = \(String(format: "%.2f", ratio(index))) x encoder "
                    + "(target >= \(Self.ratioTarget): \(verdict(ratio(index) >= Self.ratioTarget))); "
                    + "\(flow.events) events in \(String(format: "%.2f", flow.seconds)) s, \(flow.duplicates) "
                    + "duplicates, \(flow.deadLettered) dead-lettered")
            print(
                pad("  where the time went (steps, from the hops)")
                    + zip(flow.stepSeconds, flow.meanBatchSize).map { step, batch in
                        "\(step.stage) \(String(format: "%.2f", step.seconds)) s in batches of \(f1(batch.size))"
                    }.joined(separator: ", ") + " of \(String(format: "%.2f", flow.seconds)) s"
                    + embedShare(flow))
            printBudget(flow)
            print(
                pad("end-to-end latency at \(f1(latency.rate)) events/s")
                    + "p50 \(ms(latency.p50Ms)) (target <= \(f0(Self.p50Target)) ms: "
                    + "\(verdict(latency.p50Ms <= Self.p50Target))), p99 \(ms(latency.p99Ms)) (target <= "
                    + "\(f0(Self.p99Target)) ms: \(verdict(latency.p99Ms <= Self.p99Target))), max \(ms(latency.maxMs)); "
                    + "\(latency.measured) of \(latency.fed) events over \(f0(latencySeconds)) s after a 2 s warm-up")
            print(
                pad("  start-up (new feeder, workers just joined)")
                    + "up to \(ms(latency.startupMs)) in the warm-up (connections, first fetches; not above)")
            for edge in latency.hops.edges {
                print(
                    pad("  hop \(edge.name)")
                        + "p50 \(ms(edge.p50Ms)), p99 \(ms(edge.p99Ms)) to the step; the step then took "
                        + "\(ms(edge.stepP50Ms)) p50 per batch of \(edge.batchSizeP50) p50")
            }
            let hops = stageHops(index)
            print(
                pad("idle hops (3 passthrough stages at \(f0(hopRate)) events/s)")
                    + idleHops[index].hops.edges.map { "\($0.name) \(ms($0.p50Ms))" }.joined(separator: ", ")
                    + " p50 (between stages, target < \(f0(Self.hopTarget)) ms: "
                    + "\(verdict(hops.allSatisfy { $0.p50Ms < Self.hopTarget })))")
        }
        print("")
        print(
            pad("runtime ceiling (3 passthrough stages, in-process)")
                + "\(f1(ceiling.eventsPerSecond)) events/s (\(ceiling.events) small events in "
                + "\(String(format: "%.2f", ceiling.seconds)) s)")
        switch peer {
        case .ran(let rate, let line):
            let ratios = flows.enumerated().map { index, flow in
                "\(modes[index].name) \(String(format: "%.2f", flow.eventsPerSecond / rate))x"
            }
            print(
                pad("Python peer (consume, embed, produce, commit)") + line + "; Sluice's workflow: "
                    + ratios.joined(separator: ", ") + " of it (target >= \(Self.peerTarget)x)")
        case .notRun(let why):
            print("Python peer: not run (\(why))")
        }
    }

    var json: JSONValue {
        func edges(_ hops: HopDelays) -> JSONValue {
            .array(
                hops.edges.map {
                    .object([
                        "edge": .string($0.name), "p50_ms": .double($0.p50Ms), "p99_ms": .double($0.p99Ms),
                        "step_p50_ms": .double($0.stepP50Ms), "batch_size_p50": .int(Int64($0.batchSizeP50)),
                    ])
                })
        }
        let perMode: [JSONValue] = modes.enumerated().map { index, mode in
            let flow = flows[index]
            let latency = latencies[index]
            return .object([
                "mode": .string(mode.name),
                "events_per_second": .double(flow.eventsPerSecond),
                "ratio_to_encoder": .double(ratio(index)),
                "events": .int(Int64(flow.events)), "duplicates": .int(Int64(flow.duplicates)),
                "dead_lettered": .int(Int64(flow.deadLettered)),
                "latency": .object([
                    "rate": .double(latency.rate), "p50_ms": .double(latency.p50Ms), "p99_ms": .double(latency.p99Ms),
                    "max_ms": .double(latency.maxMs), "startup_ms": .double(latency.startupMs),
                    "measured": .int(Int64(latency.measured)), "hops": edges(latency.hops),
                ]),
                "idle_hops": edges(idleHops[index].hops),
                "peer_ratio": peerRate.map { .double(flow.eventsPerSecond / $0) } ?? .null,
                "cpu": budgetJSON(flow.cpu, events: flow.events),
            ])
        }
        var peerValue: JSONValue = .null
        if case .notRun(let why) = peer { peerValue = .object(["not_run": .string(why)]) }
        if let rate = peerRate { peerValue = .object(["events_per_second": .double(rate)]) }
        return .object([
            "workflow": .string(workflow.name), "texts": .int(Int64(texts)),
            "cpu_features": .string("\(CPUFeatures.current)"),
            "load_average_before": .string(loadBefore), "load_average_after": .string(loadAfter),
            "precision": .string(choice), "batches_in_flight": .int(Int64(batchesInFlight)),
            "encoder": .object([
                "before": .double(encoderBefore), "after": .double(encoderAfter), "mean": .double(encoderMean),
                "cpu_ms_per_sentence": encoderCPUPerText.map { .double(1_000 * $0) } ?? .null,
            ]),
            "modes": .array(perMode),
            "passthrough_ceiling_events_per_second": .double(ceiling.eventsPerSecond),
            "peer": peerValue,
            "targets": .object([
                "ratio_to_encoder": .double(Self.ratioTarget), "p50_ms": .double(Self.p50Target),
                "p99_ms": .double(Self.p99Target), "idle_hop_ms": .double(Self.hopTarget),
                "peer_ratio": .double(Self.peerTarget),
            ]),
        ])
    }

    /// Where every CPU-second of the run went, per process, per event; against the encoder
    /// alone's CPU per sentence, so the embed worker's own overhead shows too.
    private func printBudget(_ flow: PipelineBenchmark.Throughput) {
        let budget = flow.cpu
        guard !budget.entries.isEmpty, flow.events > 0 else { return }
        let perEvent = { (seconds: Double) in "\(String(format: "%.2f", 1_000 * seconds / Double(flow.events))) ms" }
        let cores = { (seconds: Double) in String(format: "%.2f", seconds / max(1e-9, budget.wallSeconds)) }
        print(
            pad("  CPU per event, by process")
                + budget.entries.map { "\($0.name) \(perEvent($0.seconds)) (\(cores($0.seconds)) cores)" }
                .joined(separator: ", ")
                + "; all \(perEvent(budget.totalSeconds)) (\(cores(budget.totalSeconds)) of \(ProcessInfo.processInfo.activeProcessorCount) cores)"
                + (encoderCPUPerText.map { "; encoder alone \(String(format: "%.2f", 1_000 * $0)) ms a sentence" } ?? "")
        )
    }

    private func budgetJSON(_ budget: CPUBudget, events: Int) -> JSONValue {
        .object([
            "wall_seconds": .double(budget.wallSeconds),
            "processes": .array(
                budget.entries.map {
                    .object([
                        "name": .string($0.name), "cpu_seconds": .double($0.seconds),
                        "cpu_ms_per_event": .double(1_000 * $0.seconds / Double(max(1, events))),
                    ])
                }),
        ])
    }

    /// The embed step's share of the wall clock, and its rate inside the worker: what the
    /// workflow costs beyond the model, apart from how busy the machine was.
    private func embedShare(_ flow: PipelineBenchmark.Throughput) -> String {
        guard let seconds = flow.stepSeconds.first(where: { $0.stage == embedStage.name })?.seconds, seconds > 0
        else { return "" }
        return "; the embed step had \(f0(100 * seconds / flow.seconds))% of the wall clock and ran at "
            + "\(f1(Double(flow.events) / seconds)) sentences/s inside the worker"
    }

    private func verdict(_ met: Bool) -> String { met ? "met" : "NOT met" }
    private func pad(_ label: String) -> String {
        label.padding(toLength: max(52, label.count + 1), withPad: " ", startingAt: 0) + " "
    }
    private func f0(_ x: Double) -> String { String(format: "%.0f", x) }
    private func f1(_ x: Double) -> String { String(format: "%.1f", x) }
    private func ms(_ x: Double) -> String { x >= 100 ? "\(f0(x)) ms" : "\(f1(x)) ms" }
}
