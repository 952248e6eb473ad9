import Foundation
import SluiceJSON

/// Vectors travel as base64 of little-endian float32 with their dimension, not
/// as JSON number arrays: 4 bytes a value instead of about 12, and exact.
///
/// `decode` reads records that anyone can produce, so it checks the dimension
/// before any arithmetic or allocation and refuses values no model produces.
public enum VectorCodec {
    /// The largest dimension accepted: far above any sentence encoder (MiniLM: 384),
    /// small enough that `dim * 4` never overflows and a record cannot ask for gigabytes.
    public static let maxDimension = 65_536

    public static func encode(_ vector: [Float]) -> JSONValue {
        let data = vector.withUnsafeBufferPointer { buffer in
            Data(buffer: UnsafeBufferPointer(start: buffer.baseAddress.map { UnsafePointer($0) }, count: buffer.count))
        }
        return .object([
            "dim": .int(Int64(vector.count)), "dtype": .string("float32le"),
            "b64": .string(data.base64EncodedString()),
        ])
    }

    public static func decode(_ value: JSONValue) throws(EnvelopeError) -> [Float] {
        guard let dim = value["dim"]?.intValue, let b64 = value["b64"]?.stringValue else {
            throw EnvelopeError(.badEmbedding, "'embedding' must be {dim, dtype, b64}")
        }
        if let dtype = value["dtype"]?.stringValue, dtype != "float32le" {
            throw EnvelopeError(.badEmbedding, "'embedding.dtype' must be float32le, got \(dtype)")
        }
        guard (1...maxDimension).contains(dim) else {
            throw EnvelopeError(.badEmbedding, "'embedding.dim' must be between 1 and \(maxDimension), got \(dim)")
        }
        // Base64 of dim * 4 bytes is at most this long (padded); refuse longer text before decoding it.
        guard b64.utf8.count <= (dim * 4 + 2) / 3 * 4, let data = Data(base64Encoded: b64), data.count == dim * 4 else {
            throw EnvelopeError(.badEmbedding, "'embedding.b64' does not hold \(dim) float32 values")
        }
        let vector = data.withUnsafeBytes { raw in
            (0..<dim).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
            }
        }
        if let bad = vector.firstIndex(where: { !$0.isFinite }) {
            throw EnvelopeError(.badEmbedding, "'embedding' value \(bad) is \(vector[bad]); vectors must be finite")
        }
        return vector
    }
}
