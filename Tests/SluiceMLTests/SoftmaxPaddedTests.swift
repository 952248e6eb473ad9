import Foundation
import SluiceML
import XCTest

/// `MiniLMKernels.softmaxPadded`, the softmax attention runs on every score row,
/// against a softmax computed here in Double from the same Float inputs.
final class SoftmaxPaddedTests: XCTestCase {
    /// Lengths of texts the model sees: 1 ([CLS] alone is impossible, but a lone valid
    /// key is the edge), short tweets, exact multiples of 16, one past them, the maximum.
    let lengths = [1, 2, 5, 15, 16, 17, 31, 32, 33, 64, 100, 128, 255, 256]

    /// Softmax of x in Double, max-subtracted.
    func reference(_ x: ArraySlice<Float>) -> [Double] {
        let m = x.map(Double.init).max()!
        let e = x.map { Foundation.exp(Double($0) - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// Runs the kernel on `valid` with the padding tail (up to the next multiple of
    /// 16) filled with `tail`, then checks the valid entries against the reference,
    /// that they sum to 1, and that the tail holds only negligible values.
    func check(_ valid: [Float], tail: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let n = valid.count
        let padded = (n + 15) & ~15
        var row = valid + [Float](repeating: tail, count: padded - n)
        row.withUnsafeMutableBufferPointer { MiniLMKernels.softmaxPadded($0.baseAddress!, count: n) }
        let want = reference(valid[...])
        var worst = 0.0
        var sum = 0.0
        for j in 0..<n {
            XCTAssertTrue(row[j].isFinite, "\(what): entry \(j) is \(row[j])", file: file, line: line)
            // Relative to the entry, plus an absolute floor for entries near zero (e^-87 clamp).
            worst = max(worst, abs(Double(row[j]) - want[j]) / (want[j] + 1e-7))
            sum += Double(row[j])
        }
        XCTAssertLessThan(worst, 2e-6, "\(what): worst relative error", file: file, line: line)
        XCTAssertEqual(sum, 1, accuracy: 1e-5, "\(what): sum", file: file, line: line)
        for j in n..<padded {
            XCTAssertLessThan(abs(row[j]), 1e-30, "\(what): padding entry \(j)", file: file, line: line)
        }
    }

    func testScoreRowsOfTwelveHeadsMatchReference() {
        var rng = SplitMix64(seed: 11)
        for L in lengths {
            // One score row per head: q·k/√32 for unit-ish q, k spans a few units; some heads
            // are sharp (one key dominates), as trained attention is.
            for head in 0..<12 {
                let sharpness: Float = head % 3 == 0 ? 12 : 3
                let row = (0..<L).map { _ in rng.nextGaussian() * sharpness }
                check(row, tail: 0, "L=\(L) head \(head)")
            }
        }
    }

    func testPaddingTailIsNeverRead() {
        // Whatever the scratch held before (a previous, longer row; garbage) must not leak in.
        var rng = SplitMix64(seed: 12)
        for L in lengths where L % 16 != 0 {
            let row = (0..<L).map { _ in rng.nextGaussian() * 4 }
            for tail in [Float.infinity, -Float.infinity, Float.nan, 1e30, 88] {
                check(row, tail: tail, "L=\(L) tail \(tail)")
            }
        }
    }

    func testAllEqualRowIsUniform() {
        for L in lengths {
            for value in [Float(0), -3.7, 1e4, -1e30] {
                check([Float](repeating: value, count: L), tail: 0, "L=\(L) all \(value)")
            }
        }
    }

    func testLargeMagnitudes() {
        var rng = SplitMix64(seed: 13)
        for L in [2, 17, 64, 256] {
            for scale in [Float(100), 1e4, 1e30] {
                check((0..<L).map { _ in rng.nextGaussian() * scale }, tail: 0, "L=\(L) scale \(scale)")
            }
            // One key far above the rest: it takes all the weight, the rest underflow (to ~e^-87).
            var spike = (0..<L).map { _ in rng.nextGaussian() }
            spike[L / 2] = 1e3
            check(spike, tail: 0, "L=\(L) spike")
        }
    }

    func testSingleValidTokenGetsAllTheWeight() {
        for value in [Float(0), 42, -1e20] {
            var row = [value] + [Float](repeating: .nan, count: 15)
            row.withUnsafeMutableBufferPointer { MiniLMKernels.softmaxPadded($0.baseAddress!, count: 1) }
            XCTAssertEqual(row[0], 1, accuracy: 1e-6, "single token \(value)")
        }
    }
}
