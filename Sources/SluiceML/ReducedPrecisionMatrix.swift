import CKernels

/// A GEMM weight w [n, k] (PyTorch's [out, in]) quantized to int8 once at load: per output
/// channel, symmetric, to -63..63 (see sluice_kernels.h for why 63), packed for the kernels.
final class Int8Matrix: @unchecked Sendable {  // read-only after init
    let n: Int, k: Int
    let packed: UnsafeMutablePointer<Int8>  // n/16 panels of [k/4][16][4]
    let colsum: UnsafeMutablePointer<Int32>  // [n]: sum over k of each channel's quantized weights
    let scale: UnsafeMutablePointer<Float>  // [n]

    /// Stacks `parts` (each [rows, k], rows a multiple of 16) into one [n, k] matrix: quantizing
    /// is per row, so a fused matrix (query, key, value) is just its parts one after another.
    init(parts: [(w: UnsafePointer<Float>, rows: Int)], k: Int) {
        self.k = k
        n = parts.reduce(0) { $0 + $1.rows }
        packed = .allocate(capacity: n * k)
        colsum = .allocate(capacity: n)
        scale = .allocate(capacity: n)
        let q = UnsafeMutablePointer<Int8>.allocate(capacity: (parts.map(\.rows).max() ?? 0) * k)
        defer { q.deallocate() }
        var row = 0
        for part in parts {
            precondition(part.rows % 16 == 0 && k % 4 == 0, "int8 weights need rows % 16 == 0 and k % 4 == 0")
            sluice_q8_quantize_weights(part.w, Int32(part.rows), Int32(k), q, scale + row)
            sluice_q8_pack(q, Int32(part.rows), Int32(k), packed + row * k, colsum + row)
            row += part.rows
        }
    }

    deinit {
        packed.deallocate()
        colsum.deallocate()
        scale.deallocate()
    }

    /// c[rows, n] (+ bias) for output columns of `panels` (16 columns each), from activations
    /// already quantized by `Int8Activations.quantize`.
    func multiply(
        _ a: Int8Activations, rows: Int, bias: UnsafePointer<Float>?, _ c: UnsafeMutablePointer<Float>,
        panels: Range<Int>, kernel: Int8Kernel
    ) {
        sluice_q8_gemm(
            kernel.rawValue, a.q, a.scale, a.zero, Int32(rows), Int32(k), packed, colsum, scale, bias, c,
            Int32(n), Int32(panels.lowerBound), Int32(panels.upperBound))
    }
}

/// Activations quantized per row (asymmetric, 0..255), grown as needed; one per workspace.
final class Int8Activations: @unchecked Sendable {  // used by one thread at a time
    private(set) var q = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    private(set) var scale = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var zero = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private var rowCapacity = 0, byteCapacity = 0

    func quantize(_ a: UnsafePointer<Float>, rows: Int, k: Int) {
        if rows * k > byteCapacity {
            q.deallocate()
            q = .allocate(capacity: rows * k)
            byteCapacity = rows * k
        }
        if rows > rowCapacity {
            scale.deallocate()
            zero.deallocate()
            scale = .allocate(capacity: rows)
            zero = .allocate(capacity: rows)
            rowCapacity = rows
        }
        sluice_q8_quantize_rows(a, Int32(rows), Int32(k), q, scale, zero)
    }

    deinit {
        q.deallocate()
        scale.deallocate()
        zero.deallocate()
    }
}

/// A GEMM weight w [n, k] stored as bf16, packed for one `BF16Kernel`'s layout.
final class BF16Matrix: @unchecked Sendable {  // read-only after init
    let n: Int, k: Int
    let kernel: BF16Kernel
    let packed: UnsafeMutablePointer<UInt16>

    /// Stacks `parts` (each [rows, k], rows a multiple of 16) into one [n, k] matrix.
    init(parts: [(w: UnsafePointer<Float>, rows: Int)], k: Int, kernel: BF16Kernel) {
        self.k = k
        self.kernel = kernel
        n = parts.reduce(0) { $0 + $1.rows }
        packed = .allocate(capacity: n * k)
        var row = 0
        let layout = kernel.packsPairs ? BF16Kernel.referenceDot : BF16Kernel.reference
        for part in parts {
            precondition(part.rows % 16 == 0 && k % 2 == 0, "bf16 weights need rows % 16 == 0 and even k")
            sluice_bf16_pack(layout.rawValue, part.w, Int32(part.rows), Int32(k), packed + row * k)
            row += part.rows
        }
    }

    deinit { packed.deallocate() }

    /// c[rows, n] (+ bias) for output columns of `panels`, from activations prepared by
    /// `BF16Activations.prepare` for this matrix's kernel.
    func multiply(
        _ a: BF16Activations, rows: Int, bias: UnsafePointer<Float>?, _ c: UnsafeMutablePointer<Float>,
        panels: Range<Int>
    ) {
        sluice_bf16_gemm(
            kernel.cKernel, a.floats, a.halves, Int32(rows), Int32(k), packed, bias, c, Int32(n),
            Int32(panels.lowerBound), Int32(panels.upperBound))
    }
}

/// Activations as a bf16 kernel reads them: the fp32 rows themselves (widening kernels),
/// the rows rounded to bf16 (dot kernels), or rounded and kept as floats (emulated dot).
final class BF16Activations: @unchecked Sendable {  // used by one thread at a time
    private(set) var floats: UnsafePointer<Float>? = nil
    private(set) var halves: UnsafeMutablePointer<UInt16>? = nil
    private var rounded: UnsafeMutablePointer<Float>? = nil
    private var halfCapacity = 0, roundedCapacity = 0

    func prepare(_ a: UnsafePointer<Float>, rows: Int, k: Int, kernel: BF16Kernel) {
        let count = rows * k
        if kernel.packsPairs {
            if count > halfCapacity {
                halves?.deallocate()
                halves = .allocate(capacity: count)
                halfCapacity = count
            }
            sluice_bf16_round(a, count, halves)
            floats = a
        } else if kernel.roundsActivations {
            if count > roundedCapacity {
                rounded?.deallocate()
                rounded = .allocate(capacity: count)
                roundedCapacity = count
            }
            sluice_bf16_round_floats(a, count, rounded)
            floats = UnsafePointer(rounded)
        } else {
            floats = a
        }
    }

    deinit {
        halves?.deallocate()
        rounded?.deallocate()
    }
}
