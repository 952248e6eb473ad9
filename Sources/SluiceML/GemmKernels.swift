import CKernels

/// The int8 GEMM kernels (Sources/CKernels/q8_x86.c). All give the same integers, so
/// the same embeddings: they differ only in speed and in which CPUs run them.
public enum Int8Kernel: Int32, CaseIterable, Sendable, CustomStringConvertible {
    case reference = 0
    case avx2, avxVNNI, avx512VNNI

    public var isAvailable: Bool { sluice_q8_kernel_available(rawValue) != 0 }

    public var description: String {
        switch self {
        case .reference: "int8 reference (portable C)"
        case .avx2: "int8 AVX2 (vpmaddubsw + vpmaddwd)"
        case .avxVNNI: "int8 AVX-VNNI (vpdpbusd, 256-bit)"
        case .avx512VNNI: "int8 AVX-512 VNNI (vpdpbusd, 256-bit EVEX)"
        }
    }

    /// The fastest this CPU runs.
    public static var best: Int8Kernel {
        [.avx512VNNI, .avxVNNI, .avx2].first(where: \.isAvailable) ?? .reference
    }
}

/// The bf16 GEMM kernels (Sources/CKernels/bf16.c): widening ones (fp32 multiplies of
/// bf16 weights) and dot ones (bf16 x bf16 pairs summed in fp32), each with a reference.
public enum BF16Kernel: Int32, CaseIterable, Sendable, CustomStringConvertible {
    case reference = 0
    case widenAVX2, referenceDot, avx512Dot
    /// The dot kernels' numerics on any AVX2 CPU: activations rounded to bf16, then the
    /// widening kernel (a product of two bf16 values is exact in fp32, as in vdpbf16ps).
    /// Lets a CPU without AVX-512 BF16 check that precision's accuracy budget.
    case emulatedDotAVX2

    public var isAvailable: Bool { sluice_bf16_kernel_available(cKernel) != 0 }
    /// The C kernel that runs.
    var cKernel: Int32 { self == .emulatedDotAVX2 ? BF16Kernel.widenAVX2.rawValue : rawValue }
    /// Whether activations are rounded to bf16 too (the dot kernels' numerics).
    public var roundsActivations: Bool { self == .referenceDot || self == .avx512Dot || self == .emulatedDotAVX2 }
    /// Whether weights are packed in pairs of k for vdpbf16ps (else one k per row of a panel).
    var packsPairs: Bool { self == .referenceDot || self == .avx512Dot }

    public var description: String {
        switch self {
        case .reference: "bf16 reference, weights widened (portable C)"
        case .widenAVX2: "bf16 weights widened to fp32, AVX2 FMA"
        case .referenceDot: "bf16 dot reference (portable C)"
        case .avx512Dot: "bf16 dot products, AVX-512 BF16 (vdpbf16ps)"
        case .emulatedDotAVX2: "bf16 dot numerics emulated with AVX2 FMA"
        }
    }

    public static var best: BF16Kernel { [.avx512Dot, .widenAVX2].first(where: \.isAvailable) ?? .reference }
}

/// What a requested precision becomes on this CPU: the precision that runs, its
/// kernel, and, when the request could not be met as asked, why.
public struct PrecisionChoice: Sendable, Equatable, CustomStringConvertible {
    public let requested: Precision
    public let precision: Precision  // never .auto
    public let int8Kernel: Int8Kernel?
    public let bf16Kernel: BF16Kernel?
    /// Set when the precision or kernel is not what was asked for, saying why.
    public let fallback: String?

    /// `auto` is int8: it meets the accuracy budget (MiniLMPrecisionTests) and its kernels
    /// give the same integers on every CPU, so the budget holds wherever it runs.
    public static func choose(_ requested: Precision, features: CPUFeatures = .current) -> PrecisionChoice {
        let want = requested == .auto ? Precision.int8 : requested
        guard want != .fp32 else {
            return PrecisionChoice(
                requested: requested, precision: .fp32, int8Kernel: nil, bf16Kernel: nil, fallback: nil)
        }
        guard features.contains(.avx2) else {
            return PrecisionChoice(
                requested: requested, precision: .fp32, int8Kernel: nil, bf16Kernel: nil,
                fallback: "\(want.rawValue) needs AVX2 and FMA, which this CPU lacks (\(features)): running fp32")
        }
        if want == .int8 {
            return PrecisionChoice(
                requested: requested, precision: .int8, int8Kernel: .best, bf16Kernel: nil, fallback: nil)
        }
        let kernel = BF16Kernel.best
        return PrecisionChoice(
            requested: requested, precision: .bf16, int8Kernel: nil, bf16Kernel: kernel,
            fallback: kernel == .avx512Dot
                ? nil : "no AVX-512 BF16 on this CPU: bf16 weights are widened to fp32 (half the memory, no faster)")
    }

    /// "int8 (int8 AVX2 (vpmaddubsw + vpmaddwd))", as the log and the registry show it.
    public var description: String {
        switch precision {
        case .int8: "int8 (\(int8Kernel?.description ?? "?"))"
        case .bf16: "bf16 (\(bf16Kernel?.description ?? "?"))"
        default: "fp32 (OpenBLAS sgemm and the packed fp32 kernel)"
        }
    }
}
