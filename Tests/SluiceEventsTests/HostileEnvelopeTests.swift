import Foundation
import SluiceEvents
import SluiceJSON
import XCTest

/// Records anyone can produce: each must come back as an `EnvelopeError` naming
/// its reason (so the worker dead-letters it), never as a trap.
final class HostileEnvelopeTests: XCTestCase {
    func decode(_ text: String) throws(EnvelopeError) -> Envelope {
        try Envelope.decode(Array(text.utf8), fallbackID: "posts-0-7", fallbackCreatedAt: 42)
    }

    func assertRefused(
        _ text: String, _ reason: EnvelopeError.Reason, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try decode(text), text, file: file, line: line) { error in
            XCTAssertEqual(
                (error as? EnvelopeError)?.reason, reason, "\(text.prefix(120)): \(error)", file: file, line: line)
        }
    }

    /// `dim * 4` overflowed and trapped the features worker on every restart.
    func testEmbeddingDimensionsThatOverflowOrCannotBeAreRefused() {
        for dim in ["4611686018427387904", "9223372036854775807", "-1", "-4611686018427387904", "0", "65537", "1e300"] {
            assertRefused(#"{"id":"p","text":"x","embedding":{"dim":\#(dim),"b64":""}}"#, .badEmbedding)
        }
    }

    func testNonFiniteEmbeddingValuesAreRefused() {
        for bits: UInt32 in [0x7FC0_0000, 0x7F80_0000, 0xFF80_0000] {  // NaN, +Inf, -Inf
            let values: [UInt32] = [0x3F80_0000, bits]
            let bytes = values.flatMap { value in
                (0..<4).map { UInt8(truncatingIfNeeded: value.littleEndian >> ($0 * 8)) }
            }
            let b64 = Data(bytes).base64EncodedString()
            assertRefused(#"{"text":"x","embedding":{"dim":2,"b64":"\#(b64)"}}"#, .badEmbedding)
        }
    }

    func testBase64LongerThanItsDimensionIsRefusedBeforeDecoding() {
        let b64 = Data(repeating: 0, count: 4 * 1_000).base64EncodedString()
        assertRefused(#"{"text":"x","embedding":{"dim":1,"b64":"\#(b64)"}}"#, .badEmbedding)
        assertRefused(#"{"text":"x","embedding":{"dim":2,"b64":"not base64!!"}}"#, .badEmbedding)
    }

    func testAValidEmbeddingStillDecodes() throws {
        let vector: [Float] = [0.5, -1, 3.25]
        let encoded = VectorCodec.encode(vector).serialized()
        XCTAssertEqual(try decode(#"{"text":"x","embedding":\#(encoded)}"#).embedding, vector)
    }

    /// json-c refuses nesting deeper than its tokener depth (32), so the recursive
    /// conversion to `JSONValue` never runs deep enough to exhaust the stack.
    func testDeepNestingIsRefusedAsInvalidJSON() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        assertRefused(#"{"text":"x","data":{"a":\#(deep)}}"#, .invalidJSON)
        let nested = String(repeating: #"{"a":"#, count: 40) + "1" + String(repeating: "}", count: 40)
        assertRefused(#"{"text":"x","data":\#(nested)}"#, .invalidJSON)
    }

    func testHopsWithWrongFieldsAreRefused() {
        assertRefused(#"{"text":"x","hops":[{"stage":"a"}]}"#, .wrongType)
        assertRefused(#"{"text":"x","hops":{"stage":"a"}}"#, .wrongType)
        assertRefused(#"{"text":"x","hops":[{"stage":"a","consumed_at":1e300,"produced_at":1}]}"#, .wrongType)
    }

    func testInvalidUTF8AndNulBytesDoNotTrap() throws {
        var bytes = Array(#"{"id":"p","text":"a"#.utf8)
        bytes += [0xFF, 0xFE, 0xC0]
        bytes += Array(#"\u0000b"}"#.utf8)
        do {
            let event = try Envelope.decode(bytes, fallbackID: "f", fallbackCreatedAt: 0)
            XCTAssertTrue(event.text.hasPrefix("a"), "bad bytes are replaced, not fatal")
        } catch {
            XCTAssertEqual(error.reason, .invalidJSON, "refused, if at all, as invalid JSON: \(error)")
        }
    }
}
