import SluiceEvents
import SluiceJSON
import XCTest

final class EnvelopeTests: XCTestCase {
    func decode(_ text: String, maxTextBytes: Int = .max) throws(EnvelopeError) -> Envelope {
        try Envelope.decode(
            Array(text.utf8), fallbackID: "posts-0-7", fallbackCreatedAt: 42, maxTextBytes: maxTextBytes)
    }

    func testRoundTripKeepsEveryField() throws {
        let embedding: [Float] = (0..<384).map { Float($0) * 0.001 - 0.2 }
        let original = Envelope(
            id: "e-1", workflow: "w", createdAt: 1_732_860_000_123_456, text: "héllo \"world\" 🌍",
            data: ["user": .string("ann"), "n": .int(3)], embedding: embedding,
            results: ["label": .object(["name": .string("sports")])],
            hops: [
                Hop(stage: "features", worker: "h:1", consumedAt: 10, producedAt: 25, batchSize: 32, processMicros: 9)
            ])
        let decoded = try Envelope.decode(original.encoded(), fallbackID: "x", fallbackCreatedAt: 0)
        XCTAssertEqual(decoded, original)
        XCTAssertEqual(decoded.embedding, embedding, "vectors must survive bit for bit")
    }

    func testPlainEventGetsFallbackIDAndTime() throws {
        let event = try decode(#"{"text": "just text"}"#)
        XCTAssertEqual(event.id, "posts-0-7")
        XCTAssertEqual(event.createdAt, 42)
        XCTAssertTrue(event.hops.isEmpty)
    }

    func testMalformedRecordsNameTheirReason() {
        let cases: [(String, EnvelopeError.Reason)] = [
            ("{not json", .invalidJSON),
            ("", .invalidJSON),
            ("[1, 2]", .notAnObject),
            (#"{"id": "a"}"#, .missingText),
            (#"{"text": 5}"#, .wrongType),
            (#"{"text": "a", "created_at": "yesterday"}"#, .wrongType),
            (#"{"text": "a", "id": {"x": 1}}"#, .wrongType),
            (#"{"text": "a", "embedding": {"dim": 4, "b64": "AAAA"}}"#, .badEmbedding),
            (#"{"text": "a", "data": 3}"#, .wrongType),
            (#"{"text": "abcdef"}"#, .textTooLong),
        ]
        for (text, reason) in cases {
            XCTAssertThrowsError(try decode(text, maxTextBytes: 5), text) { error in
                XCTAssertEqual((error as? EnvelopeError)?.reason, reason, "\(text): \(error)")
            }
        }
    }

    func testTraceparentKeepsTraceAndStartsNewSpan() {
        let incoming = [
            EventHeader("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            EventHeader("tenant", "acme"),
            EventHeader("ce_id", "old"),
        ]
        let out = EventHeaders.outgoing(incoming: incoming, eventID: "e-9", workflow: "w", stage: "features")
        let trace = TraceContext.parse(out.first { $0.key == "traceparent" }!.text)!
        XCTAssertEqual(trace.traceID, "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertNotEqual(trace.spanID, "00f067aa0ba902b7")
        XCTAssertEqual(out.first { $0.key == "tenant" }?.text, "acme")
        XCTAssertEqual(out.filter { $0.key == "ce_id" }.map(\.text), ["e-9"])
        XCTAssertEqual(out.first { $0.key == "ce_source" }?.text, "/sluice/w/features")
    }

    func testInvalidTraceparentStartsNewTrace() {
        XCTAssertNil(TraceContext.parse("00-xyz-00f067aa0ba902b7-01"))
        let out = EventHeaders.outgoing(
            incoming: [EventHeader("traceparent", "garbage")], eventID: "e", workflow: "w", stage: "s")
        XCTAssertNotNil(TraceContext.parse(out.first { $0.key == "traceparent" }!.text))
    }
}
