import SluiceML
import XCTest

/// Each fast int8 and bf16 kernel against its plain reference, on shapes that hit every
/// edge of the micro-kernels (short row blocks, one panel, a panel range, no bias), and the
/// references against fp32. A kernel this CPU cannot run is skipped, naming what is missing.
final class ReducedPrecisionKernelTests: XCTestCase {
    /// (rows, n, k): 1 row, a short last block of 4 or 6, more than one 64-row block, k not a multiple of 16.
    let shapes = [(1, 16, 4), (5, 48, 388), (7, 32, 384), (65, 64, 1536), (131, 16, 36)]

    func data(_ count: Int, seed: UInt64, scale: Float, offset: Float = 0.5) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in (Float(rng.next() % 10_000) / 10_000 - offset) * scale }
    }

    func fp32(_ a: [Float], rows: Int, _ w: [Float], n: Int, k: Int, bias: [Float]?) -> [Float] {
        var c = [Float](repeating: 0, count: rows * n)
        for r in 0..<rows {
            for j in 0..<n {
                var s = Double(bias?[j] ?? 0)
                for t in 0..<k { s += Double(a[r * k + t]) * Double(w[j * k + t]) }
                c[r * n + j] = Float(s)
            }
        }
        return c
    }

    func relativeError(_ got: [Float], _ want: [Float]) -> Double {
        var e = 0.0
        var s = 0.0
        for (g, w) in zip(got, want) {
            e += Double(g - w) * Double(g - w)
            s += Double(w) * Double(w)
        }
        return (e / max(s, 1e-30)).squareRoot()
    }

    func requireAvailable(_ available: Bool, _ what: String) throws {
        guard available else { throw XCTSkip("this CPU cannot run \(what) (it has: \(CPUFeatures.current))") }
    }

    // MARK: int8

    func checkInt8(_ kernel: Int8Kernel) throws {
        try requireAvailable(kernel.isAvailable, kernel.description)
        for (i, (rows, n, k)) in shapes.enumerated() {
            let a = data(rows * k, seed: UInt64(i), scale: 4, offset: 0.3)  // skewed, as after GELU
            let w = data(n * k, seed: UInt64(100 + i), scale: 0.2)
            let bias = i % 2 == 0 ? data(n, seed: UInt64(200 + i), scale: 1) : nil
            let want = ReducedPrecisionGemm.int8(a, rows: rows, w, n: n, k: k, bias: bias, kernel: .reference)
            let got = ReducedPrecisionGemm.int8(a, rows: rows, w, n: n, k: k, bias: bias, kernel: kernel)
            XCTAssertEqual(got, want, "\(kernel) differs from the reference at rows \(rows), n \(n), k \(k)")
            // Only the panels asked for are written.
            if n >= 32 {
                let part = ReducedPrecisionGemm.int8(
                    a, rows: rows, w, n: n, k: k, bias: bias, kernel: kernel, panels: 1..<2)
                for r in 0..<rows {
                    for j in 0..<n {
                        let v = part[r * n + j]
                        if (16..<32).contains(j) { XCTAssertEqual(v, want[r * n + j]) } else { XCTAssertTrue(v.isNaN) }
                    }
                }
            }
        }
    }

    func testInt8AVX2KernelGivesTheReferenceIntegers() throws { try checkInt8(.avx2) }
    func testInt8AVXVNNIKernelGivesTheReferenceIntegers() throws { try checkInt8(.avxVNNI) }
    func testInt8AVX512VNNIKernelGivesTheReferenceIntegers() throws { try checkInt8(.avx512VNNI) }

    /// The vectorised activation quantizer writes the reference's bytes, scales and zero points,
    /// on rows with outliers, all zeros and all negatives.
    func testInt8QuantizerMatchesReference() {
        let rows = 40
        let k = 1536
        var a = data(rows * k, seed: 9, scale: 6, offset: 0.2)
        for i in stride(from: 0, to: a.count, by: 97) { a[i] *= 50 }
        for t in 0..<k {
            a[5 * k + t] = 0
            a[6 * k + t] = -1 - Float(t % 3)
        }
        let fast = ReducedPrecisionGemm.quantizeRows(a, rows: rows, k: k, reference: false)
        let plain = ReducedPrecisionGemm.quantizeRows(a, rows: rows, k: k, reference: true)
        XCTAssertEqual(fast.bytes, plain.bytes)
        XCTAssertEqual(fast.scale, plain.scale)
        XCTAssertEqual(fast.zero, plain.zero)
        XCTAssertTrue(fast.bytes[(5 * k)..<(6 * k)].allSatisfy { $0 == fast.zero[5] })
    }

    /// Per-row activations and per-channel weights keep the error near 8-bit resolution.
    func testInt8ReferenceIsCloseToFP32() {
        for (i, (rows, n, k)) in shapes.enumerated() {
            let a = data(rows * k, seed: UInt64(i), scale: 4, offset: 0.3)
            let w = data(n * k, seed: UInt64(100 + i), scale: 0.2)
            let bias = data(n, seed: UInt64(200 + i), scale: 1)
            let got = ReducedPrecisionGemm.int8(a, rows: rows, w, n: n, k: k, bias: bias, kernel: .reference)
            let err = relativeError(got, fp32(a, rows: rows, w, n: n, k: k, bias: bias))
            XCTAssertLessThan(err, 0.02, "int8 relative error at rows \(rows), n \(n), k \(k)")
        }
    }

    /// Zero rows give exactly the bias; constant and all-negative rows stay close to fp32.
    func testInt8EdgeRows() {
        let k = 64
        let n = 16
        let w = data(n * k, seed: 7, scale: 0.5)
        let bias = data(n, seed: 8, scale: 1)
        let rows: [[Float]] = [
            [Float](repeating: 0, count: k), [Float](repeating: 0.25, count: k),
            (0..<k).map { -Float($0 + 1) / 10 }, (0..<k).map { $0 == 3 ? 1000 : 0.01 },
        ]
        for row in rows {
            let got = ReducedPrecisionGemm.int8(row, rows: 1, w, n: n, k: k, bias: bias, kernel: .best)
            let want = fp32(row, rows: 1, w, n: n, k: k, bias: bias)
            if row.allSatisfy({ $0 == 0 }) { XCTAssertEqual(got, bias) }
            XCTAssertLessThan(relativeError(got, want), 0.02, "row starting \(row.prefix(4))")
        }
    }

    // MARK: bf16

    func checkBF16(_ kernel: BF16Kernel, against reference: BF16Kernel) throws {
        try requireAvailable(kernel.isAvailable, kernel.description)
        for (i, (rows, n, k)) in shapes.enumerated() {
            let a = data(rows * k, seed: UInt64(i), scale: 4, offset: 0.3)
            let w = data(n * k, seed: UInt64(100 + i), scale: 0.2)
            let bias = i % 2 == 0 ? data(n, seed: UInt64(200 + i), scale: 1) : nil
            let want = ReducedPrecisionGemm.bf16(a, rows: rows, w, n: n, k: k, bias: bias, kernel: reference)
            let got = ReducedPrecisionGemm.bf16(a, rows: rows, w, n: n, k: k, bias: bias, kernel: kernel)
            // Same products, summed in another order: float rounding only.
            XCTAssertLessThan(
                relativeError(got, want), 1e-5, "\(kernel) vs \(reference) at rows \(rows), n \(n), k \(k)")
            XCTAssertFalse(got.contains { $0.isNaN })
        }
    }

    func testBF16WideningKernelMatchesReference() throws { try checkBF16(.widenAVX2, against: .reference) }
    func testBF16DotKernelMatchesReference() throws { try checkBF16(.avx512Dot, against: .referenceDot) }
    /// The emulation the accuracy tests use on CPUs without AVX-512 BF16 has the dot kernels' numerics.
    func testBF16EmulatedDotMatchesDotReference() throws { try checkBF16(.emulatedDotAVX2, against: .referenceDot) }

    func testBF16ReferencesAreCloseToFP32() {
        for (i, (rows, n, k)) in shapes.enumerated() {
            let a = data(rows * k, seed: UInt64(i), scale: 4, offset: 0.3)
            let w = data(n * k, seed: UInt64(100 + i), scale: 0.2)
            let want = fp32(a, rows: rows, w, n: n, k: k, bias: nil)
            for kernel in [BF16Kernel.reference, .referenceDot] {
                let got = ReducedPrecisionGemm.bf16(a, rows: rows, w, n: n, k: k, bias: nil, kernel: kernel)
                XCTAssertLessThan(relativeError(got, want), 0.005, "\(kernel) at rows \(rows), n \(n), k \(k)")
            }
        }
    }

    // MARK: choice

    func testPrecisionChoiceOnThisCPU() throws {
        let features = CPUFeatures.current
        print("CPU features: \(features); int8 kernel \(Int8Kernel.best); bf16 kernel \(BF16Kernel.best)")
        XCTAssertEqual(PrecisionChoice.choose(.fp32).precision, .fp32)
        let auto = PrecisionChoice.choose(.auto)
        XCTAssertEqual(auto.precision, features.contains(.avx2) ? .int8 : .fp32)
        XCTAssertEqual(PrecisionChoice.choose(.int8, features: []).precision, .fp32)
        XCTAssertNotNil(PrecisionChoice.choose(.int8, features: []).fallback)
        let bf16 = PrecisionChoice.choose(.bf16)
        XCTAssertEqual(bf16.fallback == nil, bf16.bf16Kernel == .avx512Dot)
        XCTAssertThrowsError(try Precision.parse("int4")) { error in
            XCTAssertTrue("\(error)".contains("fp32, bf16, int8, auto"), "\(error)")
        }
        XCTAssertEqual(try Precision.parse("INT8"), .int8)
    }
}
