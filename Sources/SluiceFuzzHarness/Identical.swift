import SluiceEvents
import SluiceJSON

/// Equality for round-trip checks, where `==` is wrong about NaN: a NaN that went
/// through an encoding unchanged is still unequal to itself. Vectors compare bit for
/// bit, because the vector codec promises exact values.
enum Identical {
    static func envelopes(_ a: Envelope, _ b: Envelope) -> Bool {
        a.id == b.id && a.workflow == b.workflow && a.createdAt == b.createdAt && a.text == b.text
            && a.hops == b.hops && objects(a.data, b.data) && objects(a.results, b.results)
            && a.embedding?.map(\.bitPattern) == b.embedding?.map(\.bitPattern)
    }

    static func values(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.double(let x), .double(let y)): return x == y || (x.isNaN && y.isNaN)
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy(values)
        case (.object(let x), .object(let y)): return objects(x, y)
        default: return a == b
        }
    }

    static func objects(_ a: [String: JSONValue], _ b: [String: JSONValue]) -> Bool {
        a.count == b.count && a.allSatisfy { key, value in b[key].map { values(value, $0) } ?? false }
    }
}
