import CKernels

/// The int8 and bf16 GEMMs on plain arrays, as the encoder runs them: for checking each
/// fast kernel against its reference and against fp32, and for benchmarks.
public enum ReducedPrecisionGemm {
    /// c[rows, n] = a[rows, k] · wᵀ + bias, w [n, k] quantized to int8 (n % 16 == 0, k % 4 == 0).
    public static func int8(
        _ a: [Float], rows: Int, _ w: [Float], n: Int, k: Int, bias: [Float]?, kernel: Int8Kernel,
        panels: Range<Int>? = nil
    ) -> [Float] {
        precondition(a.count == rows * k && w.count == n * k)
        return w.withUnsafeBufferPointer { wp in
            let m = Int8Matrix(parts: [(wp.baseAddress!, n)], k: k)
            let act = Int8Activations()
            a.withUnsafeBufferPointer { act.quantize($0.baseAddress!, rows: rows, k: k) }
            var c = [Float](repeating: .nan, count: rows * n)
            bias.withOptionalPointer { b in
                c.withUnsafeMutableBufferPointer {
                    m.multiply(act, rows: rows, bias: b, $0.baseAddress!, panels: panels ?? 0..<n / 16, kernel: kernel)
                }
            }
            return c
        }
    }

    /// c[rows, n] = a[rows, k] · wᵀ + bias, w [n, k] stored as bf16 (n % 16 == 0, k even).
    public static func bf16(
        _ a: [Float], rows: Int, _ w: [Float], n: Int, k: Int, bias: [Float]?, kernel: BF16Kernel,
        panels: Range<Int>? = nil
    ) -> [Float] {
        precondition(a.count == rows * k && w.count == n * k)
        return w.withUnsafeBufferPointer { wp in
            let m = BF16Matrix(parts: [(wp.baseAddress!, n)], k: k, kernel: kernel)
            let act = BF16Activations()
            var c = [Float](repeating: .nan, count: rows * n)
            a.withUnsafeBufferPointer { ap in
                act.prepare(ap.baseAddress!, rows: rows, k: k, kernel: kernel)
                bias.withOptionalPointer { b in
                    c.withUnsafeMutableBufferPointer {
                        m.multiply(act, rows: rows, bias: b, $0.baseAddress!, panels: panels ?? 0..<n / 16)
                    }
                }
            }
            return c
        }
    }
}

extension ReducedPrecisionGemm {
    /// Activations quantized per row as the int8 GEMMs take them: bytes [rows, k], scale and
    /// zero point per row; `reference`: the plain C quantizer instead of the dispatched one.
    public static func quantizeRows(_ a: [Float], rows: Int, k: Int, reference: Bool) -> (
        bytes: [UInt8], scale: [Float], zero: [Int32]
    ) {
        precondition(a.count == rows * k)
        var q = [UInt8](repeating: 0, count: rows * k)
        var scale = [Float](repeating: 0, count: rows)
        var zero = [Int32](repeating: 0, count: rows)
        let run = reference ? sluice_q8_quantize_rows_reference : sluice_q8_quantize_rows
        run(a, Int32(rows), Int32(k), &q, &scale, &zero)
        return (q, scale, zero)
    }
}

extension Optional where Wrapped == [Float] {
    fileprivate func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let self else { return body(nil) }
        return self.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
