/// How `MiniLMEncoder` spreads its work; the defaults are the tuned ones. None of
/// these change results beyond float rounding, only speed.
public struct EncoderOptions: Sendable, Equatable {
    /// Whether a lone text (batch 1, one caller) splits each GEMM's columns and the
    /// attention heads over two threads. Off: one thread per lone text.
    public var splitSingleText: Bool
    /// Whether those splits run on a persistent helper thread that spins briefly
    /// between them (`PairRunner`). Off: libdispatch's pool for every split.
    public var helperThread: Bool
    /// GEMMs over at most this many rows (tokens in the chunk) use the encoder's own
    /// kernel over weights packed at load; longer ones go to OpenBLAS. 0: always OpenBLAS.
    public var packedMaxRows: Int

    public init(splitSingleText: Bool = true, helperThread: Bool = true, packedMaxRows: Int = 64) {
        self.splitSingleText = splitSingleText
        self.helperThread = helperThread
        self.packedMaxRows = packedMaxRows
    }
}
