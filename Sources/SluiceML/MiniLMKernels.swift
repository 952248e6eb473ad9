import Foundation

/// The encoder's element-wise and row-wise kernels. Each optimised kernel has
/// a plain reference beside it (`...Reference`), checked against it in tests.
/// All pointers are row-major; widths must be multiples of 16 for the fast ones.
public enum MiniLMKernels {
    typealias V = SIMD16<Float>

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }
    @inline(__always) static func load(_ p: UnsafeMutablePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }
    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    // MARK: LayerNorm

    /// Reference. out[r, :] = (x[r, :] - mean) / sqrt(var + eps) * gamma + beta; x, out: [rows, cols].
    public static func layerNormReference(
        _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, gamma: UnsafePointer<Float>,
        beta: UnsafePointer<Float>, rows: Int, cols: Int, eps: Float
    ) {
        for r in 0..<rows {
            let xr = x + r * cols
            var mean: Double = 0
            for i in 0..<cols { mean += Double(xr[i]) }
            mean /= Double(cols)
            var variance: Double = 0
            for i in 0..<cols { variance += (Double(xr[i]) - mean) * (Double(xr[i]) - mean) }
            variance /= Double(cols)
            let rstd = 1 / (variance + Double(eps)).squareRoot()
            for i in 0..<cols { out[r * cols + i] = Float((Double(xr[i]) - mean) * rstd) * gamma[i] + beta[i] }
        }
    }

    /// Fused residual + bias + LayerNorm, in place on the residual stream:
    /// x[r, :] = LayerNorm(x[r, :] + y[r, :] + bias). x, y: [rows, cols]; bias, gamma, beta: [cols].
    public static func residualLayerNorm(
        _ x: UnsafeMutablePointer<Float>, adding y: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, rows: Int, cols: Int, eps: Float
    ) {
        for r in 0..<rows {
            let xr = x + r * cols
            let yr = y + r * cols
            var i = 0
            while i < cols {
                store(load(xr + i) + load(yr + i) + load(bias + i), xr + i)
                i += 16
            }
            normalizeRow(xr, gamma: gamma, beta: beta, cols: cols, eps: eps)
        }
    }

    /// LayerNorm in place: x[r, :] = LayerNorm(x[r, :]). x: [rows, cols].
    public static func layerNorm(
        _ x: UnsafeMutablePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        rows: Int, cols: Int, eps: Float
    ) {
        for r in 0..<rows { normalizeRow(x + r * cols, gamma: gamma, beta: beta, cols: cols, eps: eps) }
    }

    /// One row of LayerNorm in place. Sums run over x - x[0], not x: with eps as small as
    /// BERT's 1e-12, the few ulps by which a Float mean misses a constant row's value
    /// would be scaled by 1/sqrt(eps) = 1e6 (0.1 everywhere came out 0.015 off beta);
    /// relative to x[0] a constant row is exactly zero, and the output exactly beta.
    @inline(__always) static func normalizeRow(
        _ xr: UnsafeMutablePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, cols: Int,
        eps: Float
    ) {
        let invCols = 1 / Float(cols)
        let shift = V(repeating: xr[0])
        var s = V()
        var i = 0
        while i < cols {
            s += load(xr + i) - shift
            i += 16
        }
        let mean = s.sum() * invCols  // of x - x[0]
        var q = V()
        i = 0
        while i < cols {
            let d = load(xr + i) - shift - mean
            q += d * d
            i += 16
        }
        let rstd = 1 / (q.sum() * invCols + eps).squareRoot()
        i = 0
        while i < cols {
            store((load(xr + i) - shift - mean) * rstd * load(gamma + i) + load(beta + i), xr + i)
            i += 16
        }
    }

    // MARK: GELU (erf form, as BERT)

    /// Reference: x = x * 0.5 * (1 + erf(x / sqrt 2)), n elements in place.
    public static func geluReference(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n { x[i] = Float(Double(x[i]) * 0.5 * (1 + erf(Double(x[i]) / 2.0.squareRoot()))) }
    }

    /// erf by a rational approximation (Eigen's `generic_fast_erf_float`), error ~1e-7;
    /// only multiplies, adds and one divide, so it vectorises.
    @inline(__always) static func erf16(_ a: V) -> V {
        let x = pointwiseMin(pointwiseMax(a, V(repeating: -4)), V(repeating: 4))
        let x2 = x * x
        var p = V(repeating: -2.72614225801306e-10)
        p = p * x2 + 2.77068142495902e-08
        p = p * x2 - 2.10102402082508e-06
        p = p * x2 - 5.69250639462346e-05
        p = p * x2 - 7.34990630326855e-04
        p = p * x2 - 2.95459980854025e-03
        p = p * x2 - 1.60960333262415e-02
        p = p * x
        var q = V(repeating: -1.45660718464996e-05)
        q = q * x2 - 2.13374055278905e-04
        q = q * x2 - 1.68282697438203e-03
        q = q * x2 - 7.37332916720468e-03
        q = q * x2 - 1.42647390514189e-02
        return p / q
    }

    /// Fused bias + GELU in place: x[r, c] = gelu(x[r, c] + bias[c]). x: [rows, cols]; bias: [cols].
    public static func biasGelu(_ x: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int, cols: Int) {
        let invSqrt2: Float = 0.70710678118654752
        for r in 0..<rows {
            let xr = x + r * cols
            var i = 0
            while i < cols {
                let v = load(xr + i) + load(bias + i)
                store(v * 0.5 * (1 + erf16(v * invSqrt2)), xr + i)
                i += 16
            }
        }
    }

    /// GELU in place without bias, n a multiple of 16 (for the kernel test).
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        var zero = [Float](repeating: 0, count: 16)
        zero.withUnsafeMutableBufferPointer { z in
            biasGelu(x, bias: UnsafePointer(z.baseAddress!), rows: n / 16, cols: 16)
        }
    }

    // MARK: Softmax

    /// Reference softmax of one row in place.
    public static func softmaxReference(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        var m = -Double.infinity
        for i in 0..<n { m = max(m, Double(x[i])) }
        var s: Double = 0
        for i in 0..<n { s += exp(Double(x[i]) - m) }
        for i in 0..<n { x[i] = Float(exp(Double(x[i]) - m) / s) }
    }

    /// Softmax of one row in place (max-subtracted, single exp per element).
    @inline(__always)
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        var m = -Float.infinity
        for i in 0..<n where x[i] > m { m = x[i] }
        var s: Float = 0
        for i in 0..<n {
            let e = expf(x[i] - m)
            x[i] = e
            s += e
        }
        let inv = 1 / s
        for i in 0..<n { x[i] *= inv }
    }

    /// e^x for -87 <= x <= 0 (softmax arguments), 16 at a time: x = n ln2 + r with |r| <= ln2/2,
    /// e^r by its degree-6 Taylor polynomial (relative error ~2e-7), 2^n through the exponent bits.
    /// No clamping here (SIMD min/max compile to scalar code): callers keep x >= -87.
    @inline(__always) static func exp16(_ x: V) -> V {
        // Round x/ln2 to an integer by adding 1.5 * 2^23: n lands in the low mantissa bits.
        let magic = V(repeating: 12_582_912)
        let k = x * 1.4426950408889634 + magic
        let n = k - magic
        let r = x - n * 0.693145751953125 - n * 1.428606765330187e-06  // ln2 split in two for accuracy
        var p = V(repeating: 1.0 / 720)
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let bits = (unsafeBitCast(k, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return p * unsafeBitCast(bits, to: V.self)
    }

    /// e^x element-wise for -87 <= x <= 0, n a multiple of 16 (for the kernel test).
    public static func expNonPositive(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i < n {
            store(exp16(load(x + i)), x + i)
            i += 16
        }
    }

    /// Softmax in place of row[0..<n], vectorised: attention's kernel for one score row.
    /// row must have room for n rounded up to 16; entries n..<that are scratch (whatever
    /// they held is overwritten, not read; they end up ~1e-38). Arguments below e^-87 of
    /// the maximum are taken as e^-87 (~1.6e-38, i.e. 0). n >= 1.
    @inline(__always) public static func softmaxPadded(_ row: UnsafeMutablePointer<Float>, count n: Int) {
        let np = (n + 15) & ~15
        var mx = -Float.infinity
        for j in 0..<n { mx = max(mx, row[j]) }
        for j in 0..<n { row[j] = max(row[j] - mx, -87) }
        for j in n..<np { row[j] = -87 }
        var s = V()
        var j = 0
        while j < np {
            let e = exp16(load(row + j))
            store(e, row + j)
            s += e
            j += 16
        }
        let inv = 1 / s.sum()
        j = 0
        while j < np {
            store(load(row + j) * inv, row + j)
            j += 16
        }
    }

    // MARK: Attention

    /// Floats of scratch that `attention` needs for a text of `length` tokens.
    public static func attentionScratchCount(length L: Int, hidden C: Int, heads: Int) -> Int {
        let Lp = (L + 15) & ~15
        return Lp * (C / heads + 1)
    }

    /// Self-attention of one text over its own rows (no padding, so no mask).
    /// qkv: [L, 3C] rows = [q | k | v], heads of D = C/heads side by side; out: [L, C];
    /// scratch: `attentionScratchCount` floats, holding kᵀ of one head [D, Lp] and one
    /// score row [Lp] (Lp = L rounded up to 16, so score rows vectorise over keys).
    public static func attention(
        qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        length L: Int, hidden C: Int, heads: Int, headRange: Range<Int>? = nil
    ) {
        let D = C / heads
        let stride3 = 3 * C
        let Lp = (L + 15) & ~15
        let scale = 1 / Float(D).squareRoot()
        let kT = scratch
        let row = scratch + D * Lp
        for h in headRange ?? 0..<heads {
            let qh = qkv + h * D
            let kh = qkv + C + h * D
            let vh = qkv + 2 * C + h * D
            // kT[d, j] = k[j, d] for this head; keys L..<Lp are zero (their scores are never read)
            for j in 0..<L {
                let k = kh + j * stride3
                for d in 0..<D { kT[d * Lp + j] = k[d] }
            }
            for d in 0..<D { for j in L..<Lp { kT[d * Lp + j] = 0 } }
            for i in 0..<L {
                // row[j] = q_i · k_j / √D, 16 keys at a time; two independent FMA chains over d
                let q = qh + i * stride3
                var jb = 0
                while jb < Lp {
                    var a0 = V()
                    var a1 = V()
                    var d = 0
                    while d < D {
                        a0.addProduct(V(repeating: q[d]), load(kT + d * Lp + jb))
                        a1.addProduct(V(repeating: q[d + 1]), load(kT + (d + 1) * Lp + jb))
                        d += 2
                    }
                    store((a0 + a1) * scale, row + jb)
                    jb += 16
                }
                softmaxPadded(row, count: L)
                // out_i = Σ_j row[j] v_j, for D == 32 both halves in one pass over j
                let o = out + i * C + h * D
                if D == 32 {
                    var a0 = V()
                    var a1 = V()
                    for j in 0..<L {
                        let v = vh + j * stride3
                        let p = V(repeating: row[j])
                        a0.addProduct(p, load(v))
                        a1.addProduct(p, load(v + 16))
                    }
                    store(a0, o)
                    store(a1, o + 16)
                } else {
                    var d = 0
                    while d < D {
                        var acc = V()
                        for j in 0..<L { acc.addProduct(V(repeating: row[j]), load(vh + j * stride3 + d)) }
                        store(acc, o + d)
                        d += 16
                    }
                }
            }
        }
    }

    /// Reference attention for one text and all heads (same layout, plain loops, Double sums).
    public static func attentionReference(
        qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, length L: Int, hidden C: Int, heads: Int
    ) {
        let D = C / heads
        var p = [Float](repeating: 0, count: L)
        for h in 0..<heads {
            for i in 0..<L {
                for j in 0..<L {
                    var s: Double = 0
                    for d in 0..<D { s += Double(qkv[i * 3 * C + h * D + d]) * Double(qkv[j * 3 * C + C + h * D + d]) }
                    p[j] = Float(s / Double(D).squareRoot())
                }
                p.withUnsafeMutableBufferPointer { softmaxReference($0.baseAddress!, count: L) }
                for d in 0..<D {
                    var s: Double = 0
                    for j in 0..<L { s += Double(p[j]) * Double(qkv[j * 3 * C + 2 * C + h * D + d]) }
                    out[i * C + h * D + d] = Float(s)
                }
            }
        }
    }
}
