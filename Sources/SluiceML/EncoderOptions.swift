/// How `MiniLMEncoder` spreads its work and in what precision it multiplies; the
/// defaults are the tuned ones. Only `precision` changes results beyond float
/// rounding (within the budget MiniLMPrecisionTests checks); the rest change speed.
public struct EncoderOptions: Sendable, Equatable {
    /// Whether a lone text (batch 1, one caller) splits each GEMM's columns and the
    /// attention heads over two threads. Off: one thread per lone text.
    public var splitSingleText: Bool
    /// Whether those splits run on a persistent helper thread that spins briefly
    /// between them (`PairRunner`). Off: libdispatch's pool for every split.
    public var helperThread: Bool
    /// fp32 GEMMs over at most this many rows (tokens in the chunk) use the encoder's own
    /// kernel over weights packed at load; longer ones go to OpenBLAS. 0: always OpenBLAS.
    public var packedMaxRows: Int
    /// The GEMMs' number format (`PrecisionChoice.choose` says what it becomes on this CPU).
    public var precision: Precision
    /// Forces an int8 or bf16 kernel (tests and benchmarks); nil: the fastest this CPU runs.
    public var int8Kernel: Int8Kernel?
    public var bf16Kernel: BF16Kernel?

    public init(
        splitSingleText: Bool = true, helperThread: Bool = true, packedMaxRows: Int = 64,
        precision: Precision = .fp32, int8Kernel: Int8Kernel? = nil, bf16Kernel: BF16Kernel? = nil
    ) {
        self.splitSingleText = splitSingleText
        self.helperThread = helperThread
        self.packedMaxRows = packedMaxRows
        self.precision = precision
        self.int8Kernel = int8Kernel
        self.bf16Kernel = bf16Kernel
    }

    /// What these options run on this CPU: the precision's choice, with a forced kernel in place
    /// of the fastest when one is set (an unavailable forced kernel falls back, saying so).
    public var precisionChoice: PrecisionChoice {
        let choice = PrecisionChoice.choose(precision)
        if let forced = int8Kernel, choice.precision == .int8 {
            return forced.isAvailable
                ? PrecisionChoice(
                    requested: precision, precision: .int8, int8Kernel: forced, bf16Kernel: nil, fallback: nil)
                : PrecisionChoice(
                    requested: precision, precision: .int8, int8Kernel: choice.int8Kernel, bf16Kernel: nil,
                    fallback: "this CPU cannot run \(forced): using \(choice.int8Kernel!)")
        }
        if let forced = bf16Kernel, choice.precision == .bf16 {
            return forced.isAvailable
                ? PrecisionChoice(
                    requested: precision, precision: .bf16, int8Kernel: nil, bf16Kernel: forced, fallback: nil)
                : PrecisionChoice(
                    requested: precision, precision: .bf16, int8Kernel: nil, bf16Kernel: choice.bf16Kernel,
                    fallback: "this CPU cannot run \(forced): using \(choice.bf16Kernel!)")
        }
        return choice
    }
}
