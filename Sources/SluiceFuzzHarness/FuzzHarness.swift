/// One parser of untrusted input and what must hold for any bytes given to it. A parser
/// may refuse the bytes, never crash; what it accepts must satisfy `check`'s invariants.
public struct FuzzHarness: Sendable {
    /// Also the folder of its committed seeds, Tests/FuzzCorpus/<name>.
    public let name: String
    public let check: @Sendable ([UInt8]) throws(InvariantViolation) -> Void

    public init(name: String, check: @escaping @Sendable ([UInt8]) throws(InvariantViolation) -> Void) {
        self.name = name
        self.check = check
    }

    public static let all: [FuzzHarness] = [.envelope, .workflow, .headFile, .intake]
}
