import ArgumentParser
import Foundation
import SluiceML
import SluiceWorkerMain

/// `sluice bench embed`: sentences per second of the MiniLM encoder on tweets
/// from the corpus, at batch 1 and batch 32, against the machine's sgemm rate
/// and the peers measured on the same kind of machine.
struct BenchEmbed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed", abstract: "Benchmark the MiniLM sentence encoder.",
        discussion: EncoderOptions.environmentHelp)

    @Option(help: "How many corpus texts to embed (fixed-seed sample).") var texts = 2000
    @Option(help: "Timed runs per batch size; the median is reported.") var runs = 3
    @Option(help: "Model directory (default: SLUICE_MODEL_DIR or .deps/model).") var model: String?
    @Option(help: "Corpus CSV (default: .deps/corpus/tweets.csv).") var corpus: String?
    @Option(help: "Batch sizes to measure.") var batches: [Int] = [1, 32]
    @Option(help: "Also measure batch 1 with this many concurrent callers (0: skip).") var callers = 2
    @Flag(help: "Skip the PyTorch peer even if sentence-transformers is installed.") var noPeer = false

    func run() throws {
        let encoder = try MiniLMEncoder(modelDirectory: model, options: .fromEnvironment())
        let (rows, _) = try TweetCorpus.load(path: corpus)
        var rng = SplitMix64(seed: 20_260_101)
        var pool = rows.map(\.text)
        for i in stride(from: pool.count - 1, to: 0, by: -1) { pool.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        let sample = Array(pool.prefix(texts))
        let tokenCounts = sample.map { encoder.tokenize($0).count }
        let tokens = tokenCounts.reduce(0, +)
        let flops = tokenCounts.reduce(0.0) { $0 + encoder.flops(tokens: $1) }
        print("encoder options: \(encoder.options)")
        print(
            "model \(encoder.modelID); \(sample.count) tweets, \(tokens) tokens "
                + "(mean \(String(format: "%.1f", Double(tokens) / Double(sample.count)))), "
                + "\(String(format: "%.2f", flops / Double(sample.count) / 1e6)) MFLOP per text "
                + "(\(String(format: "%.2f", flops / Double(tokens) / 1e6)) per token)")

        let sgemm1 = SgemmProbe.gflops(m: 2048, n: 1536, k: 384, threads: 1)
        let sgemm2 = SgemmProbe.gflops(m: 2048, n: 1536, k: 384, threads: 2)
        let machine = max(2 * sgemm1, sgemm2)
        print(
            "sgemm M=2048 N=1536 K=384: \(f1(sgemm1)) GFLOP/s on 1 thread, \(f1(sgemm2)) on 2; "
                + "machine rate taken as \(f1(machine)) (2 cores)")

        _ = try encoder.embed(Array(sample.prefix(64)))  // warm up: touch weights, size buffers
        var results: [Int: Double] = [:]
        for batch in batches {
            var rates: [Double] = []
            var cpuRates: [Double] = []
            for _ in 0..<runs {
                let cpu0 = cpuSeconds()
                let start = DispatchTime.now().uptimeNanoseconds
                var i = 0
                while i < sample.count {
                    _ = try encoder.embed(Array(sample[i..<min(i + batch, sample.count)]))
                    i += batch
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                rates.append(Double(sample.count) / seconds)
                cpuRates.append(Double(sample.count) / (cpuSeconds() - cpu0))
            }
            let median = rates.sorted()[rates.count / 2]
            results[batch] = median
            let gflops = median * flops / Double(sample.count) / 1e9
            print(
                "batch \(batch): \(f1(median)) sentences/s (runs: \(rates.map(f1).joined(separator: ", "))), "
                    + "\(f1(gflops)) GFLOP/s = \(String(format: "%.0f", 100 * gflops / machine))% of sgemm rate; "
                    + "\(f1(cpuRates.sorted()[cpuRates.count / 2])) sentences per CPU-second")
        }
        if callers > 1 {
            // Many batch-1 requests at once (a server, several partitions): callers take every n-th text.
            var rates: [Double] = []
            for _ in 0..<runs {
                let start = DispatchTime.now().uptimeNanoseconds
                let n = callers
                DispatchQueue.concurrentPerform(iterations: n) { c in
                    for i in stride(from: c, to: sample.count, by: n) { _ = try? encoder.embed([sample[i]]) }
                }
                rates.append(Double(sample.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
            }
            let median = rates.sorted()[rates.count / 2]
            let gflops = median * flops / Double(sample.count) / 1e9
            print(
                "batch 1, \(callers) concurrent callers: \(f1(median)) sentences/s (runs: \(rates.map(f1).joined(separator: ", "))), "
                    + "\(f1(gflops)) GFLOP/s = \(String(format: "%.0f", 100 * gflops / machine))% of sgemm rate")
        }
        print(
            "load average: \(loadAverage()) (other processes share these cores; wall-clock rates drop when it exceeds 2)"
        )
        print("peak resident memory (VmHWM): \(peakResidentMB()) MB")
        print(
            "peers (docs/tansu-and-librdkafka.md, same kind of machine): PyTorch 2 threads 58 batch-1 / 94 batch-32; "
                + "ONNX fp32 50 / 48; ONNX int8 94 / 96")
        if !noPeer { runPyTorchPeer(sample) }
    }

    func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
            .joined(separator: " ") ?? "?"
    }

    func f1(_ x: Double) -> String { String(format: "%.1f", x) }

    func peakResidentMB() -> String {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return "?" }
        let kb = Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "") ?? 0
        return String(format: "%.0f", kb / 1024)
    }

    /// Runs scripts/bench_peer_embed.py on the same texts when sentence-transformers imports.
    func runPyTorchPeer(_ sample: [String]) {
        guard let script = DepsLocator.find("scripts/bench_peer_embed.py"),
            shell(["python3", "-c", "import sentence_transformers"]) == 0
        else {
            print("PyTorch peer: not run (sentence-transformers not importable)")
            return
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bench-texts-\(getpid()).txt")
        try? sample.map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n")
            .write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        var args = ["python3", script, "--texts", file.path, "--runs", String(runs)]
        if let model { args += ["--model", model] }
        print("PyTorch peer (same run):")
        _ = shell(args)
    }

    func shell(_ args: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}

/// Small deterministic generator for the fixed-seed sample.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
