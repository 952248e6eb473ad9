import CKernels

/// The vector instruction sets this CPU runs (cpuid, and the OS saving their registers),
/// read at run time: the kernels each precision uses are picked from them.
public struct CPUFeatures: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let avx2 = CPUFeatures(rawValue: UInt32(SLUICE_CPU_AVX2))
    public static let avx512 = CPUFeatures(rawValue: UInt32(SLUICE_CPU_AVX512))
    public static let avx512VNNI = CPUFeatures(rawValue: UInt32(SLUICE_CPU_AVX512_VNNI))
    public static let avx512BF16 = CPUFeatures(rawValue: UInt32(SLUICE_CPU_AVX512_BF16))
    public static let avxVNNI = CPUFeatures(rawValue: UInt32(SLUICE_CPU_AVX_VNNI))

    /// This machine's.
    public static let current = CPUFeatures(rawValue: sluice_cpu_features())

    static let names: [(CPUFeatures, String)] = [
        (.avx2, "avx2+fma"), (.avx512, "avx512(f,bw,vl)"), (.avx512VNNI, "avx512-vnni"),
        (.avx512BF16, "avx512-bf16"), (.avxVNNI, "avx-vnni"),
    ]

    /// "avx2+fma avx512(f,bw,vl) avx512-vnni", or "none".
    public var description: String {
        let found = Self.names.filter { contains($0.0) }.map(\.1)
        return found.isEmpty ? "none of avx2, avx512, vnni, bf16" : found.joined(separator: " ")
    }
}
