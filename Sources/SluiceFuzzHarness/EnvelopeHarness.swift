import SluiceEvents

extension FuzzHarness {
    /// A record value as a worker reads it. Every stage decodes an event and encodes it
    /// again for the next topic, so whatever decodes must come back from its encoding
    /// unchanged, and encoding it again must give the same bytes.
    public static let envelope = FuzzHarness(name: "envelope") { (bytes: [UInt8]) throws(InvariantViolation) in
        let event: Envelope
        do throws(EnvelopeError) {
            event = try Envelope.decode(bytes, fallbackID: "fuzz-id", fallbackCreatedAt: 7)
        } catch {
            try require(!error.detail.isEmpty, "a refused record must say why (\(error.reason.rawValue))")
            return
        }
        let encoded = event.encoded()
        let again: Envelope
        do {
            // Other fallbacks: an id or time lost in the encoding would show as a difference.
            again = try Envelope.decode(encoded, fallbackID: "other-id", fallbackCreatedAt: 8)
        } catch {
            throw InvariantViolation("the encoding of a decoded event does not decode (\(error)): \(text(encoded))")
        }
        try require(Identical.envelopes(event, again), "an event changed on a round trip: \(text(encoded))")
        let reencoded = again.encoded()
        try require(reencoded == encoded, "encoding is not stable: \(text(encoded)) then \(text(reencoded))")
    }
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
