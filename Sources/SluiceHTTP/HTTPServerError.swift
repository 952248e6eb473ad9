/// Why the server could not start: the address, the cause and what to try.
public struct HTTPServerError: Error, CustomStringConvertible {
    public let description: String
}
