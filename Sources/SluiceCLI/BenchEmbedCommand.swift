import ArgumentParser
import Foundation
import SluiceJSON
import SluiceML
import SluiceWorkerMain

/// `sluice bench embed`: sentences per second of the MiniLM encoder on tweets from the
/// corpus, at batch 1 and batch 32, in each precision asked for, against the machine's
/// sgemm rate and the peers that can be imported. With several precisions each runs in
/// a process of its own (this command again, with one precision), so that each one's
/// peak resident memory is its own.
struct BenchEmbed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed", abstract: "Benchmark the MiniLM sentence encoder, in each precision.",
        discussion: """
            Prints, per precision, sentences/s at each batch size and with concurrent batch-1 callers, \
            the kernel that ran, the ratio to fp32 measured in the same run, and peak resident memory; \
            then the CPU features, the load average and the peers. docs/benchmarks/embed.md keeps a \
            run's figures.

            \(EncoderOptions.environmentHelp)
            """)

    @Option(help: "How many corpus texts to embed (fixed-seed sample).") var texts = 2000
    @Option(help: "Timed runs per batch size; the median is reported.") var runs = 3
    @Option(help: "Model directory (default: SLUICE_MODEL_DIR or .deps/model).") var model: String?
    @Option(help: "Corpus CSV (default: .deps/corpus/tweets.csv).") var corpus: String?
    @Option(help: "Batch sizes to measure.") var batches: [Int] = [1, 32]
    @Option(help: "Also measure batch 1 with this many concurrent callers (0: skip).") var callers = 2
    @Option(
        help: ArgumentHelp(
            "Precisions to measure, comma-separated: fp32, bf16, int8, auto.", valueName: "list"))
    var precision = "fp32,bf16,int8"
    @Flag(help: "Print the figures as one JSON object (for scripts) instead of text.") var json = false
    @Flag(help: "Skip the PyTorch and ONNX Runtime peers even if they import.") var noPeer = false

    func validate() throws {
        _ = try precisions()
        guard texts > 0, runs > 0, !batches.isEmpty, batches.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--texts, --runs and every --batches value must be at least 1")
        }
    }

    func precisions() throws -> [Precision] {
        let names = precision.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else { throw ValidationError("--precision: name at least one of fp32, bf16, int8, auto") }
        do { return try names.map { try Precision.parse($0) } } catch { throw ValidationError("--precision: \(error)") }
    }

    func run() throws {
        let wanted = try precisions()
        let loadBefore = Self.loadAverage()
        let sample = try Self.sample(texts: texts, corpus: corpus)
        var results: [JSONValue] = []
        if wanted.count == 1 {
            results = [try measure(wanted[0], texts: sample)]
        } else {
            for p in wanted {
                if !json { FileHandle.standardError.write(Data("measuring \(p.rawValue) ...\n".utf8)) }
                results.append(try measureInChild(p))
            }
        }
        let sgemm1 = SgemmProbe.gflops(m: 2048, n: 1536, k: 384, threads: 1)
        let sgemm2 = SgemmProbe.gflops(m: 2048, n: 1536, k: 384, threads: 2)
        let machine = max(2 * sgemm1, sgemm2)
        var report: [String: JSONValue] = [
            "cpu_features": .string("\(CPUFeatures.current)"),
            "cpu_model": .string(Self.cpuModel()),
            "load_average": .string(loadBefore),
            "sgemm_gflops": .object(["threads_1": .double(sgemm1), "threads_2": .double(sgemm2)]),
            "texts": .int(Int64(sample.count)), "tokens": results.first?["tokens"] ?? .null,
            "mflop_per_text": results.first?["mflop_per_text"] ?? .null,
            "precisions": .array(results),
        ]
        var peers: [JSONValue] = []
        if !noPeer { peers = runPeers(sample) }
        report["peers"] = .array(peers)
        report["load_average_after"] = .string(Self.loadAverage())
        if json {
            print(JSONValue.object(report).serialized())
        } else {
            printReport(report, machine: machine)
        }
    }

    // MARK: measuring

    /// The same fixed-seed sample in every process and every precision.
    static func sample(texts: Int, corpus: String?) throws -> [String] {
        let (rows, _) = try TweetCorpus.load(path: corpus)
        var rng = SplitMix64(seed: 20_260_101)
        var pool = rows.map(\.text)
        for i in stride(from: pool.count - 1, to: 0, by: -1) { pool.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        return Array(pool.prefix(texts))
    }

    /// The batch sizes measured with concurrent callers: batch 1 always, and each larger one asked for.
    static func callerBatches(_ batches: [Int]) -> [Int] { [1] + batches.filter { $0 > 1 } }

    /// One precision in this process: rates per batch size, with concurrent callers, and peak memory.
    func measure(_ precision: Precision, texts: [String]) throws -> JSONValue {
        var options = EncoderOptions.fromEnvironment()
        options.precision = precision
        let loadStart = DispatchTime.now().uptimeNanoseconds
        let encoder = try MiniLMEncoder(modelDirectory: model, options: options)
        let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9
        let counts = texts.map { encoder.tokenize($0).count }
        let flops = counts.reduce(0.0) { $0 + encoder.flops(tokens: $1) }
        _ = try encoder.embed(Array(texts.prefix(64)))  // warm up: touch weights, size buffers
        var rates: [String: JSONValue] = [:]
        for batch in batches {
            var runRates: [Double] = []
            var cpuRates: [Double] = []
            for _ in 0..<runs {
                let cpu0 = Self.cpuSeconds()
                let start = DispatchTime.now().uptimeNanoseconds
                var i = 0
                while i < texts.count {
                    _ = try encoder.embed(Array(texts[i..<min(i + batch, texts.count)]))
                    i += batch
                }
                runRates.append(Double(texts.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
                cpuRates.append(Double(texts.count) / (Self.cpuSeconds() - cpu0))
            }
            rates["batch_\(batch)"] = Self.figure(runRates, perCPUSecond: cpuRates)
        }
        // Concurrent callers: batch 1 as many requests at once (a server, several partitions),
        // larger batches as a worker running two steps at once. Caller c takes every n-th slice.
        for batch in (callers > 1 ? Self.callerBatches(batches) : []) {
            var runRates: [Double] = []
            for _ in 0..<runs {
                let start = DispatchTime.now().uptimeNanoseconds
                let n = callers
                DispatchQueue.concurrentPerform(iterations: n) { c in
                    for i in stride(from: c * batch, to: texts.count, by: n * batch) {
                        _ = try? encoder.embed(Array(texts[i..<min(i + batch, texts.count)]))
                    }
                }
                runRates.append(Double(texts.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
            }
            rates["batch_\(batch)_callers_\(callers)"] = Self.figure(runRates)
        }
        return .object([
            "requested": .string(precision.rawValue),
            "precision": .string(encoder.precision.precision.rawValue),
            "kernel": .string(encoder.precision.description),
            "fallback": encoder.precision.fallback.map(JSONValue.string) ?? .null,
            "load_seconds": .double(loadSeconds),
            "tokens": .int(Int64(counts.reduce(0, +))),
            "mflop_per_text": .double(flops / Double(texts.count) / 1e6),
            "rates": .object(rates),
            "peak_resident_mb": .double(Self.peakResidentMB()),
        ])
    }

    /// Median and runs; with `perCPUSecond`, also sentences per CPU-second (the figure load moves least).
    static func figure(_ runs: [Double], perCPUSecond: [Double] = []) -> JSONValue {
        var v: [String: JSONValue] = [
            "median": .double(runs.sorted()[runs.count / 2]), "runs": .array(runs.map(JSONValue.double)),
        ]
        if !perCPUSecond.isEmpty { v["per_cpu_second"] = .double(perCPUSecond.sorted()[perCPUSecond.count / 2]) }
        return .object(v)
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// Runs this command again for one precision, with --json, and reads its figures.
    func measureInChild(_ precision: Precision) throws -> JSONValue {
        var args = [
            "bench", "embed", "--precision", precision.rawValue, "--json", "--no-peer",
            "--texts", String(texts), "--runs", String(runs), "--callers", String(callers),
        ]
        args += batches.flatMap { ["--batches", String($0)] }
        if let model { args += ["--model", model] }
        if let corpus { args += ["--corpus", corpus] }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        if !FileManager.default.isExecutableFile(atPath: p.executableURL!.path) {
            p.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        }
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0, let report = try? JSONValue.parse(String(decoding: data, as: UTF8.self)),
            let first = report["precisions"]?.arrayValue?.first
        else {
            throw ValidationError(
                "measuring \(precision.rawValue) in a child process failed (exit \(p.terminationStatus)); "
                    + "run `sluice bench embed --precision \(precision.rawValue)` to see why")
        }
        return first
    }

    // MARK: peers

    /// The PyTorch and ONNX Runtime peers on the same texts, when their packages import.
    func runPeers(_ texts: [String]) -> [JSONValue] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bench-texts-\(getpid()).txt")
        try? texts.map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n")
            .write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        var peers: [JSONValue] = []
        for (script, module, name) in [
            ("scripts/bench_peer_embed.py", "sentence_transformers", "PyTorch (sentence-transformers)"),
            ("scripts/bench_peer_onnx.py", "onnxruntime", "ONNX Runtime"),
        ] {
            guard let path = DepsLocator.find(script), Self.shell(["python3", "-c", "import \(module)"]).status == 0
            else {
                peers.append(.object(["peer": .string(name), "skipped": .string("python3 cannot import \(module)")]))
                continue
            }
            var args = ["python3", path, "--texts", file.path, "--runs", String(runs), "--json"]
            if let model { args += ["--model", model] }
            let (status, output) = Self.shell(args)
            for line in output.split(separator: "\n") {
                if let v = try? JSONValue.parse(String(line)), v["peer"] != nil { peers.append(v) }
            }
            if status != 0 {
                peers.append(.object(["peer": .string(name), "skipped": .string("the script exited \(status)")]))
            }
        }
        return peers
    }

    static func shell(_ args: [String]) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return (-1, "") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    // MARK: printing

    func printReport(_ report: [String: JSONValue], machine: Double) {
        let f1 = { (x: Double) in String(format: "%.1f", x) }
        let sgemm = report["sgemm_gflops"]
        print(
            "CPU: \(report["cpu_model"]?.stringValue ?? "?"); features: \(report["cpu_features"]?.stringValue ?? "?")")
        print(
            "\(report["texts"]?.intValue ?? 0) tweets, \(report["tokens"]?.intValue ?? 0) tokens, "
                + "\(f1(report["mflop_per_text"]?.doubleValue ?? 0)) MFLOP per text; sgemm M=2048 N=1536 K=384: "
                + "\(f1(sgemm?["threads_1"]?.doubleValue ?? 0)) GFLOP/s on 1 thread, "
                + "\(f1(sgemm?["threads_2"]?.doubleValue ?? 0)) on 2 (machine rate \(f1(machine)))")
        let precisions = report["precisions"]?.arrayValue ?? []
        let keys =
            batches.map { "batch_\($0)" }
            + (callers > 1 ? Self.callerBatches(batches).map { "batch_\($0)_callers_\(callers)" } : [])
        let fp32 = precisions.first { $0["precision"]?.stringValue == "fp32" }
        let mflop = report["mflop_per_text"]?.doubleValue ?? 0
        for p in precisions {
            print("\n\(p["requested"]?.stringValue ?? "?"): \(p["kernel"]?.stringValue ?? "?")")
            if let fallback = p["fallback"]?.stringValue { print("  note: \(fallback)") }
            for key in keys {
                guard let figure = p["rates"]?[key], let median = figure["median"]?.doubleValue else { continue }
                var line = "  \(key.replacingOccurrences(of: "_", with: " ")): \(f1(median)) sentences/s"
                line +=
                    " (runs: \((figure["runs"]?.arrayValue ?? []).compactMap(\.doubleValue).map(f1).joined(separator: ", ")))"
                if let base = fp32?["rates"]?[key]?["median"]?.doubleValue, base > 0 {
                    line += String(format: ", %.2fx fp32", median / base)
                }
                line += String(format: ", %.0f GOP/s", median * mflop / 1e3)
                if let cpu = figure["per_cpu_second"]?.doubleValue {
                    line += String(format: "; %.1f per CPU-second", cpu)
                    if let base = fp32?["rates"]?[key]?["per_cpu_second"]?.doubleValue, base > 0 {
                        line += String(format: " (%.2fx)", cpu / base)
                    }
                }
                print(line)
            }
            print(
                "  peak resident memory \(String(format: "%.0f", p["peak_resident_mb"]?.doubleValue ?? 0)) MB; "
                    + "load \(String(format: "%.2f", p["load_seconds"]?.doubleValue ?? 0)) s")
        }
        print("\npeers (same texts, same run):")
        for peer in report["peers"]?.arrayValue ?? [] {
            let name = peer["peer"]?.stringValue ?? "?"
            if let why = peer["skipped"]?.stringValue {
                print("  \(name): not run (\(why)); figures recorded on this kind of machine: docs/benchmarks/embed.md")
                continue
            }
            var line = "  \(name)"
            for key in ["batch_1", "batch_32"] {
                guard let rate = peer[key]?.doubleValue else { continue }
                line += ", \(key.replacingOccurrences(of: "_", with: " ")): \(f1(rate)) sentences/s"
                if let ours = precisions.last?["rates"]?[key]?["median"]?.doubleValue, rate > 0 {
                    line += String(format: " (%@ %.2fx)", precisions.last?["requested"]?.stringValue ?? "", ours / rate)
                }
            }
            print(line)
        }
        print(
            "load average: before \(report["load_average"]?.stringValue ?? "?"), "
                + "after \(report["load_average_after"]?.stringValue ?? "?") "
                + "(other processes share these cores; wall-clock rates drop when it exceeds the core count)")
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
            .joined(separator: " ") ?? "?"
    }

    static func cpuModel() -> String {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") })
        else { return "?" }
        let cores = info.split(separator: "\n").filter { $0.hasPrefix("processor") }.count
        return
            "\(line.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "?"), \(cores) cores"
    }

    static func peakResidentMB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        return (Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "") ?? 0) / 1024
    }
}
