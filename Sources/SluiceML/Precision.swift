/// The number format of the encoder's GEMM weights and multiplies. LayerNorm,
/// softmax, GELU and the residual stream stay fp32 in every precision.
public enum Precision: String, Sendable, CaseIterable, Codable {
    /// fp32 weights and multiplies: the reference every other precision is measured against.
    case fp32
    /// bf16 weights (half the bytes); fp32 multiplies, or bf16 dot products where the CPU has them.
    case bf16
    /// int8 weights per output channel and int8 activations per row, int32 sums.
    case int8
    /// The fastest precision this CPU runs within the accuracy budget (docs/models.md).
    case auto

    /// Parses a precision name, with an error that lists the ones there are.
    public static func parse(_ text: String) throws(PrecisionError) -> Precision {
        guard let p = Precision(rawValue: text.lowercased()) else { throw PrecisionError(text: text) }
        return p
    }
}

public struct PrecisionError: Error, CustomStringConvertible {
    public let text: String
    public var description: String {
        "unknown precision '\(text)': use one of \(Precision.allCases.map(\.rawValue).joined(separator: ", "))"
    }
}
