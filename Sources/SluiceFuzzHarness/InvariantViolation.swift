/// A parser did something it must never do with any input: accepted a value it cannot
/// write back, changed an event on a round trip, let a broken workflow through. The
/// fuzz driver turns it into a crash that libFuzzer records; the replay test into a failure.
public struct InvariantViolation: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(InvariantViolation) {
    if !condition { throw InvariantViolation(message()) }
}
