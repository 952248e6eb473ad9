/// A W3C Trace Context (`traceparent: 00-<trace-id>-<span-id>-<flags>`). Each
/// stage keeps the trace id it received and starts its own span.
public struct TraceContext: Sendable, Equatable {
    public var traceID: String
    public var spanID: String
    public var flags: String

    public static func parse(_ header: String) -> TraceContext? {
        let parts = header.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "00", parts[1].count == 32, parts[2].count == 16, parts[3].count == 2,
            parts[1...].allSatisfy({ $0.allSatisfy(\.isHexDigit) }),
            parts[1] != String(repeating: "0", count: 32), parts[2] != String(repeating: "0", count: 16)
        else { return nil }
        return TraceContext(traceID: String(parts[1]), spanID: String(parts[2]), flags: String(parts[3]))
    }

    public static func newRoot() -> TraceContext {
        TraceContext(traceID: randomHex(bytes: 16), spanID: randomHex(bytes: 8), flags: "01")
    }

    /// A new span in the same trace.
    public func child() -> TraceContext {
        TraceContext(traceID: traceID, spanID: Self.randomHex(bytes: 8), flags: flags)
    }

    public var header: String { "00-\(traceID)-\(spanID)-\(flags)" }

    private static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        for _ in 0..<bytes {
            let byte = UInt8.random(in: 0...255, using: &generator)
            text += String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
        }
        return text
    }
}
