import Foundation
import SluiceML
import XCTest

/// `MiniLMKernels.layerNorm` and `residualLayerNorm` (every layer's two norms and the
/// embeddings' one) against LayerNorm computed here in Double from the same Float inputs.
final class LayerNormTests: XCTestCase {
    let cols = 384  // the model's hidden width
    let eps: Float = 1e-12  // the model's layer_norm_eps

    /// (x - mean) / sqrt(var + eps) * gamma + beta per row, in Double.
    func reference(_ x: [Float], gamma: [Float], beta: [Float], rows: Int) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        for r in 0..<rows {
            let row = x[r * cols..<(r + 1) * cols].map(Double.init)
            let mean = row.reduce(0, +) / Double(cols)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(cols)
            let rstd = 1 / (variance + Double(eps)).squareRoot()
            for c in 0..<cols { out[r * cols + c] = (row[c] - mean) * rstd * Double(gamma[c]) + Double(beta[c]) }
        }
        return out
    }

    /// Worst |got - want| over the elements, relative to the output's own scale
    /// (|gamma| + |beta|: a normalised value is O(1), so this is its relative error).
    func worstError(_ got: [Float], _ want: [Double], gamma: [Float], beta: [Float]) -> Double {
        var worst = 0.0
        for i in got.indices {
            let c = i % cols
            worst = max(worst, abs(Double(got[i]) - want[i]) / (Double(abs(gamma[c]) + abs(beta[c])) + 1e-6))
        }
        return worst
    }

    func randomParameters(_ rng: inout SplitMix64) -> (gamma: [Float], beta: [Float]) {
        ((0..<cols).map { _ in 1 + 0.3 * rng.nextGaussian() }, (0..<cols).map { _ in 0.1 * rng.nextGaussian() })
    }

    func run(_ x: [Float], rows: Int, gamma: [Float], beta: [Float]) -> [Float] {
        var y = x
        y.withUnsafeMutableBufferPointer {
            MiniLMKernels.layerNorm($0.baseAddress!, gamma: gamma, beta: beta, rows: rows, cols: cols, eps: eps)
        }
        return y
    }

    func testRowsOfTheModelsWidthMatchReference() {
        var rng = SplitMix64(seed: 21)
        let (gamma, beta) = randomParameters(&rng)
        for rows in [1, 7, 33, 256] {
            // Hidden states: unit-ish spread around a per-row offset, plus a few outlier
            // dimensions (BERT's residual stream has some at tens of units).
            var x = (0..<rows * cols).map { _ in rng.nextGaussian() }
            for r in 0..<rows {
                let offset = rng.nextGaussian()
                for c in 0..<cols { x[r * cols + c] += offset }
                x[r * cols + (r * 37) % cols] *= 40
            }
            let got = run(x, rows: rows, gamma: gamma, beta: beta)
            XCTAssertLessThan(
                worstError(got, reference(x, gamma: gamma, beta: beta, rows: rows), gamma: gamma, beta: beta),
                1e-5, "rows=\(rows)")
        }
    }

    func testResidualVariantMatchesReferenceOfTheSum() {
        var rng = SplitMix64(seed: 22)
        let (gamma, beta) = randomParameters(&rng)
        let rows = 33
        let x = (0..<rows * cols).map { _ in rng.nextGaussian() }
        let y = (0..<rows * cols).map { _ in rng.nextGaussian() }
        let bias = (0..<cols).map { _ in 0.5 * rng.nextGaussian() }
        let sum = (0..<rows * cols).map { x[$0] + y[$0] + bias[$0 % cols] }
        var got = x
        got.withUnsafeMutableBufferPointer {
            MiniLMKernels.residualLayerNorm(
                $0.baseAddress!, adding: y, bias: bias, gamma: gamma, beta: beta,
                rows: rows, cols: cols, eps: eps)
        }
        XCTAssertLessThan(
            worstError(got, reference(sum, gamma: gamma, beta: beta, rows: rows), gamma: gamma, beta: beta),
            1e-5)
    }

    func testLargeMagnitudesAreScaleInvariant() {
        // LayerNorm(s·x) = LayerNorm(x): a row spread over 1e4 or 1e-3 normalises the same.
        var rng = SplitMix64(seed: 23)
        let (gamma, beta) = randomParameters(&rng)
        let rows = 4
        for scale in [Float(1e4), 1e-3] {
            let x = (0..<rows * cols).map { _ in rng.nextGaussian() * scale }
            let got = run(x, rows: rows, gamma: gamma, beta: beta)
            XCTAssertLessThan(
                worstError(got, reference(x, gamma: gamma, beta: beta, rows: rows), gamma: gamma, beta: beta),
                1e-5, "scale \(scale)")
        }
    }

    func testLargeOffsetLosesOnlyFloatPrecisionOfTheMean() {
        // A row at 100 ± 1: the Float mean carries ~1e-7 · 100 of error, so outputs may
        // be off by about that many standard deviations, no more.
        var rng = SplitMix64(seed: 24)
        let (gamma, beta) = randomParameters(&rng)
        let x = (0..<2 * cols).map { _ in 100 + rng.nextGaussian() }
        let got = run(x, rows: 2, gamma: gamma, beta: beta)
        XCTAssertLessThan(
            worstError(got, reference(x, gamma: gamma, beta: beta, rows: 2), gamma: gamma, beta: beta), 1e-4)
    }

    func testAllEqualRowGivesBeta() {
        // Zero variance: (x - mean) is 0, so every output is beta, not 0/0 or eps-amplified noise.
        var rng = SplitMix64(seed: 25)
        let (gamma, beta) = randomParameters(&rng)
        for value in [Float(0), 1, -2.5, 0.1, 1e4] {
            let got = run([Float](repeating: value, count: 3 * cols), rows: 3, gamma: gamma, beta: beta)
            XCTAssertTrue(got.allSatisfy(\.isFinite), "all \(value): not finite")
            var worst: Float = 0
            for i in got.indices { worst = max(worst, abs(got[i] - beta[i % cols])) }
            XCTAssertLessThan(worst, 1e-4, "all \(value): worst distance from beta")
        }
    }

    func testResidualVariantOfAnAllEqualSumGivesBeta() {
        // x + y + bias constant per row although none of them is: eighths, so the Float
        // sums are exact and the row is exactly 1.5 before normalising.
        var rng = SplitMix64(seed: 26)
        let (gamma, beta) = randomParameters(&rng)
        let bias = (0..<cols).map { Float($0 % 5) * 0.125 }
        var x = (0..<2 * cols).map { Float($0 % 7) * 0.25 }
        let y = (0..<2 * cols).map { 1.5 - x[$0] - bias[$0 % cols] }
        x.withUnsafeMutableBufferPointer {
            MiniLMKernels.residualLayerNorm(
                $0.baseAddress!, adding: y, bias: bias, gamma: gamma, beta: beta,
                rows: 2, cols: cols, eps: eps)
        }
        var worst: Float = 0
        for i in x.indices { worst = max(worst, abs(x[i] - beta[i % cols])) }
        XCTAssertLessThan(worst, 1e-4, "worst distance from beta")
    }
}
