import Foundation
import SluiceJSON

/// Vectors travel as base64 of little-endian float32 with their dimension, not
/// as JSON number arrays: 4 bytes a value instead of about 12, and exact.
public enum VectorCodec {
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
        guard let data = Data(base64Encoded: b64), data.count == dim * 4 else {
            throw EnvelopeError(.badEmbedding, "'embedding.b64' does not hold \(dim) float32 values")
        }
        return data.withUnsafeBytes { raw in
            (0..<dim).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}
