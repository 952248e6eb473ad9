import Foundation
import SluiceML
import XCTest

/// `PairRunner` under many splits of uneven work, from one caller and from several at
/// once: every half runs exactly once per split and the results equal a plain loop's.
/// Bounded: a fixed number of splits, and a deadline after which the test fails
/// instead of hanging if the runner deadlocks.
final class PairRunnerStressTests: XCTestCase {
    /// Deterministic work whose cost depends on (split, part): usually tiny, sometimes
    /// a few hundred microseconds, so either half may finish first and the helper is
    /// sometimes asleep, sometimes spinning, sometimes late.
    static func work(split: Int, part: Int) -> UInt64 {
        var rng = SplitMix64(seed: UInt64(split * 2 + part))
        let steps = split % 13 == part * 5 ? 100_000 + Int(rng.next() % 100_000) : Int(rng.next() % 300)
        var acc: UInt64 = 0
        for _ in 0..<steps { acc = acc &* 31 &+ rng.next() }
        return acc
    }

    /// Per (split, part): how many times it ran and what it produced.
    final class Tally: @unchecked Sendable {  // state guarded by lock
        private let lock = NSLock()
        private(set) var runs: [Int]
        private(set) var values: [UInt64]
        init(splits: Int) {
            runs = [Int](repeating: 0, count: 2 * splits)
            values = [UInt64](repeating: 0, count: 2 * splits)
        }
        func record(split: Int, part: Int, _ value: UInt64) {
            lock.lock()
            runs[2 * split + part] += 1
            values[2 * split + part] = value
            lock.unlock()
        }
    }

    /// Runs `splits` splits over `callers` threads (caller c takes every callers-th split),
    /// waiting at most `deadline` seconds; false if they did not all return by then.
    func stress(_ runner: PairRunner, splits: Int, callers: Int, deadline: Double) -> (finished: Bool, tally: Tally) {
        let tally = Tally(splits: splits)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            DispatchQueue.concurrentPerform(iterations: callers) { c in
                for s in stride(from: c, to: splits, by: callers) {
                    runner.run { part in tally.record(split: s, part: part, Self.work(split: s, part: part)) }
                }
            }
            done.signal()
        }
        return (done.wait(timeout: .now() + deadline) == .success, tally)
    }

    func assertExactlyOnceAndSequentialResults(
        _ tally: Tally, splits: Int, file: StaticString = #filePath, line: UInt = #line
    ) {
        let wrongCounts = tally.runs.indices.filter { tally.runs[$0] != 1 }
        XCTAssertEqual(
            wrongCounts.count, 0,
            "halves not run exactly once: \(wrongCounts.prefix(10).map { ($0 / 2, $0 % 2, tally.runs[$0]) })",
            file: file, line: line)
        var mismatches = 0
        for s in 0..<splits {
            for part in 0..<2 where tally.values[2 * s + part] != Self.work(split: s, part: part) { mismatches += 1 }
        }
        XCTAssertEqual(mismatches, 0, "halves whose result differs from the sequential run", file: file, line: line)
    }

    func testOneCallerManyUnevenSplits() {
        let runner = PairRunner()
        defer { runner.stop() }
        let splits = 3000
        let (finished, tally) = stress(runner, splits: splits, callers: 1, deadline: 8)
        XCTAssertTrue(finished, "splits did not finish within 8 s (deadlock?)")
        guard finished else { return }
        assertExactlyOnceAndSequentialResults(tally, splits: splits)
    }

    func testConcurrentCallersShareOneRunner() {
        // One caller owns the helper at a time; the others fall back to libdispatch.
        let runner = PairRunner(spinMicroseconds: 20)
        defer { runner.stop() }
        let splits = 3000
        let (finished, tally) = stress(runner, splits: splits, callers: 3, deadline: 8)
        XCTAssertTrue(finished, "splits did not finish within 8 s (deadlock?)")
        guard finished else { return }
        assertExactlyOnceAndSequentialResults(tally, splits: splits)
    }

    func testNoSpinSleepsEveryTime() {
        // Spin 0: the helper and the caller go to sleep at once, every split: the semaphore path.
        let runner = PairRunner(spinMicroseconds: 0)
        defer { runner.stop() }
        let splits = 1000
        let (finished, tally) = stress(runner, splits: splits, callers: 1, deadline: 4)
        XCTAssertTrue(finished, "splits did not finish within 4 s (deadlock?)")
        guard finished else { return }
        assertExactlyOnceAndSequentialResults(tally, splits: splits)
    }
}
