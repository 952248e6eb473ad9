import Foundation

/// GEMM for few rows (a lone text: ~30 tokens) against weights packed once at load.
///
/// At batch 1, OpenBLAS spends about a third of its time packing the weights:
/// each GEMM has too few rows to amortise copying the whole weight matrix into
/// its panel layout, and every text does it again. Here the weights are packed
/// once, into panels the kernel streams directly:
///
///     W [N, K] (PyTorch's [out, in])  ->  N/16 panels, panel p = [K, 16] row-major,
///     packed[p * K * 16 + k * 16 + j] = W[16p + j, k]
///
/// The kernel keeps a 6-row x 16-column block of the output in twelve 8-wide
/// registers and walks k: per k, two loads of the panel, six broadcasts of A,
/// twelve FMAs. One panel (K x 16 floats) stays in L1/L2 while all row blocks use it.
extension MiniLMKernels {
    typealias V8 = SIMD8<Float>
    /// Output columns per packed panel.
    public static let packedPanelWidth = 16

    @inline(__always) static func load8(_ p: UnsafePointer<Float>) -> V8 {
        UnsafeRawPointer(p).loadUnaligned(as: V8.self)
    }
    @inline(__always) static func store8(_ v: V8, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self)
    }

    /// Floats `packWeights` writes for w [n, k] (n a multiple of 16).
    public static func packedCount(n: Int, k: Int) -> Int { n * k }

    /// Packs w [n, k] (row-major, PyTorch [out, in]) into n/16 panels of [k, 16]; n a multiple of 16.
    public static func packWeights(_ w: UnsafePointer<Float>, n: Int, k: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(n % packedPanelWidth == 0, "n must be a multiple of 16")
        for p in 0..<n / 16 {
            let dst = out + p * k * 16
            for j in 0..<16 {
                let src = w + (p * 16 + j) * k
                for kk in 0..<k { dst[kk * 16 + j] = src[kk] }
            }
        }
    }

    /// Reference: c[rows, n] = a[rows, k] · w[n, k]ᵀ (+ bias[n]), Double sums, w unpacked.
    public static func gemmReference(
        _ a: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        _ c: UnsafeMutablePointer<Float>, rows: Int, n: Int, k: Int
    ) {
        for r in 0..<rows {
            for j in 0..<n {
                var s = Double(bias?[j] ?? 0)
                for kk in 0..<k { s += Double(a[r * k + kk]) * Double(w[j * k + kk]) }
                c[r * n + j] = Float(s)
            }
        }
    }

    /// c[rows, n] = a[rows, k] · Wᵀ (+ bias[n]) for output columns of panels `panels`
    /// (default all), with W packed by `packWeights`. a: lda k; c: ldc n.
    public static func gemmPacked(
        _ a: UnsafePointer<Float>, packed: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        _ c: UnsafeMutablePointer<Float>, rows: Int, n: Int, k: Int, panels: Range<Int>? = nil
    ) {
        guard rows > 0 else { return }
        for p in panels ?? 0..<n / 16 {
            let b = packed + p * k * 16
            let col = p * 16
            var r = 0
            while r < rows {
                // A short last block repeats its last row (computed, not stored).
                let m = min(6, rows - r)
                micro6x16(a + r * k, rowsValid: m, k: k, b: b, bias: bias.map { $0 + col }, c: c + r * n + col, ldc: n)
                r += 6
            }
        }
    }

    /// c[0..<rowsValid, 0..<16] = a[0..<rowsValid, 0..<k] · b[k, 16] (+ bias[16]); a: lda k.
    @inline(__always) static func micro6x16(
        _ a: UnsafePointer<Float>, rowsValid m: Int, k K: Int, b: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let a0 = a
        let a1 = a + min(1, m - 1) * K
        let a2 = a + min(2, m - 1) * K
        let a3 = a + min(3, m - 1) * K
        let a4 = a + min(4, m - 1) * K
        let a5 = a + min(5, m - 1) * K
        var i0 = V8()
        var i1 = V8()
        if let bias {
            i0 = load8(bias)
            i1 = load8(bias + 8)
        }
        var c00 = i0
        var c01 = i1
        var c10 = i0
        var c11 = i1
        var c20 = i0
        var c21 = i1
        var c30 = i0
        var c31 = i1
        var c40 = i0
        var c41 = i1
        var c50 = i0
        var c51 = i1
        var bp = b
        for kk in 0..<K {
            let b0 = load8(bp)
            let b1 = load8(bp + 8)
            var x = V8(repeating: a0[kk])
            c00.addProduct(x, b0)
            c01.addProduct(x, b1)
            x = V8(repeating: a1[kk])
            c10.addProduct(x, b0)
            c11.addProduct(x, b1)
            x = V8(repeating: a2[kk])
            c20.addProduct(x, b0)
            c21.addProduct(x, b1)
            x = V8(repeating: a3[kk])
            c30.addProduct(x, b0)
            c31.addProduct(x, b1)
            x = V8(repeating: a4[kk])
            c40.addProduct(x, b0)
            c41.addProduct(x, b1)
            x = V8(repeating: a5[kk])
            c50.addProduct(x, b0)
            c51.addProduct(x, b1)
            bp += 16
        }
        store8(c00, c)
        store8(c01, c + 8)
        if m > 1 {
            store8(c10, c + ldc)
            store8(c11, c + ldc + 8)
        }
        if m > 2 {
            store8(c20, c + 2 * ldc)
            store8(c21, c + 2 * ldc + 8)
        }
        if m > 3 {
            store8(c30, c + 3 * ldc)
            store8(c31, c + 3 * ldc + 8)
        }
        if m > 4 {
            store8(c40, c + 4 * ldc)
            store8(c41, c + 4 * ldc + 8)
        }
        if m > 5 {
            store8(c50, c + 5 * ldc)
            store8(c51, c + 5 * ldc + 8)
        }
    }
}
