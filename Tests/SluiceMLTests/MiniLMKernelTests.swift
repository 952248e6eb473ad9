import Foundation
import SluiceML
import XCTest

/// Each optimised kernel against its plain reference.
final class MiniLMKernelTests: XCTestCase {
    var rng = SystemRandomNumberGenerator()
    func random(_ n: Int, scale: Float = 3) -> [Float] {
        (0..<n).map { _ in Float.random(in: -scale...scale, using: &rng) }
    }

    func assertClose(_ a: [Float], _ b: [Float], tol: Float, _ what: String) {
        XCTAssertEqual(a.count, b.count)
        var worst: Float = 0
        for i in a.indices { worst = max(worst, abs(a[i] - b[i])) }
        XCTAssertLessThanOrEqual(worst, tol, "\(what): max abs diff \(worst)")
    }

    func testGeluMatchesErfReference() {
        var x = random(4096, scale: 8) + [0, -0.5, 0.5, 4, -4, 5, -5, 10, -10, 1e-6, -1e-6, 3.9, -3.9, 2, -2, 1]
        var ref = x
        x.withUnsafeMutableBufferPointer { MiniLMKernels.gelu($0.baseAddress!, count: $0.count) }
        ref.withUnsafeMutableBufferPointer { MiniLMKernels.geluReference($0.baseAddress!, count: $0.count) }
        assertClose(x, ref, tol: 2e-6, "gelu")
    }

    func testResidualLayerNormMatchesReference() {
        let rows = 7
        let cols = 384
        var x = random(rows * cols)
        var y = random(rows * cols)
        var bias = random(cols)
        let gamma = random(cols)
        let beta = random(cols)
        var sum = (0..<rows * cols).map { x[$0] + y[$0] + bias[$0 % cols] }
        var ref = [Float](repeating: 0, count: rows * cols)
        sum.withUnsafeMutableBufferPointer { s in
            ref.withUnsafeMutableBufferPointer { r in
                MiniLMKernels.layerNormReference(
                    s.baseAddress!, r.baseAddress!, gamma: gamma, beta: beta,
                    rows: rows, cols: cols, eps: 1e-12)
            }
        }
        x.withUnsafeMutableBufferPointer { xp in
            MiniLMKernels.residualLayerNorm(
                xp.baseAddress!, adding: y, bias: &bias, gamma: gamma, beta: beta,
                rows: rows, cols: cols, eps: 1e-12)
        }
        assertClose(x, ref, tol: 1e-4, "residual layernorm")
        _ = y.count
    }

    func testSoftmaxMatchesReference() {
        for n in [1, 2, 17, 64, 256] {
            var x = random(n, scale: 20)
            var ref = x
            x.withUnsafeMutableBufferPointer { MiniLMKernels.softmax($0.baseAddress!, count: n) }
            ref.withUnsafeMutableBufferPointer { MiniLMKernels.softmaxReference($0.baseAddress!, count: n) }
            assertClose(x, ref, tol: 1e-6, "softmax \(n)")
        }
    }

    func testExpMatchesReference() {
        var x = random(4096, scale: 87).map { -abs($0) } + [0, -1e-7, -0.3465, -0.3466, -86.9, -87]
        while x.count % 16 != 0 { x.append(-1) }
        let ref = x.map { Foundation.exp(Double($0)) }
        x.withUnsafeMutableBufferPointer { MiniLMKernels.expNonPositive($0.baseAddress!, count: $0.count) }
        var worst = 0.0
        for i in x.indices { worst = max(worst, abs(Double(x[i]) - ref[i]) / ref[i]) }
        XCTAssertLessThan(worst, 1e-6, "exp relative error")
    }

    func testAttentionMatchesReference() {
        for L in [1, 5, 16, 33] {
            let C = 384
            let heads = 12
            let qkv = random(L * 3 * C, scale: 1)
            var fast = [Float](repeating: 0, count: L * C)
            var ref = fast
            var scores = [Float](
                repeating: 0, count: MiniLMKernels.attentionScratchCount(length: L, hidden: C, heads: heads))
            fast.withUnsafeMutableBufferPointer { f in
                scores.withUnsafeMutableBufferPointer { s in
                    MiniLMKernels.attention(
                        qkv: qkv, out: f.baseAddress!, scratch: s.baseAddress!,
                        length: L, hidden: C, heads: heads)
                }
            }
            ref.withUnsafeMutableBufferPointer { r in
                MiniLMKernels.attentionReference(qkv: qkv, out: r.baseAddress!, length: L, hidden: C, heads: heads)
            }
            assertClose(fast, ref, tol: 1e-5, "attention L=\(L)")
        }
    }

    func testPackedGemmMatchesReference() {
        for (n, k) in [(32, 40), (48, 384), (32, 1536)] {
            let w = random(n * k, scale: 1)
            let bias = random(n, scale: 1)
            var packed = [Float](repeating: 0, count: MiniLMKernels.packedCount(n: n, k: k))
            packed.withUnsafeMutableBufferPointer { MiniLMKernels.packWeights(w, n: n, k: k, into: $0.baseAddress!) }
            for rows in [1, 2, 5, 6, 7, 12, 13, 33] {
                let a = random(rows * k, scale: 1)
                for withBias in [false, true] {
                    var ref = [Float](repeating: 0, count: rows * n)
                    var fast = ref
                    var halves = ref
                    bias.withUnsafeBufferPointer { bp in
                        let b = withBias ? bp.baseAddress : nil
                        ref.withUnsafeMutableBufferPointer { r in
                            MiniLMKernels.gemmReference(a, w, bias: b, r.baseAddress!, rows: rows, n: n, k: k)
                        }
                        fast.withUnsafeMutableBufferPointer { f in
                            MiniLMKernels.gemmPacked(a, packed: packed, bias: b, f.baseAddress!, rows: rows, n: n, k: k)
                        }
                        halves.withUnsafeMutableBufferPointer { f in
                            let p = n / MiniLMKernels.packedPanelWidth
                            for range in [0..<p / 2, p / 2..<p] {
                                MiniLMKernels.gemmPacked(
                                    a, packed: packed, bias: b, f.baseAddress!, rows: rows, n: n,
                                    k: k, panels: range)
                            }
                        }
                    }
                    assertClose(fast, ref, tol: 1e-4, "packed gemm rows=\(rows) n=\(n) k=\(k) bias=\(withBias)")
                    XCTAssertEqual(halves, fast, "packed gemm by panel halves rows=\(rows) n=\(n) k=\(k)")
                }
            }
        }
    }
}
