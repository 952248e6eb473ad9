import SluiceDigest

/// The accepted bearer tokens, each with its scope and an id for logs: the first 8 hex
/// digits of the token's SHA-256, which names it without telling it (tokens are at
/// least 128 bits, so 32 bits of their hash give nothing away).
struct GatewayTokens: Sendable {
    struct Match: Sendable {
        let scope: TokenScope
        let id: String
    }

    private let entries: [(token: [UInt8], match: Match)]

    init(_ tokens: [String: TokenScope]) {
        entries = tokens.sorted { $0.key < $1.key }.map {
            (Array($0.key.utf8), Match(scope: $0.value, id: Self.id(of: $0.key)))
        }
    }

    var isEmpty: Bool { entries.isEmpty }

    /// What the access log and `sluice gateway`'s start line call `token`.
    static func id(of token: String) -> String { String(SHA256.hex(Array(token.utf8)).prefix(8)) }

    /// The entry `presented` is, if any. Every accepted token is compared, each in time
    /// independent of where the two differ.
    func match(_ presented: String) -> Match? {
        var found: Match?
        let given = Array(presented.utf8)
        for (wanted, match) in entries {
            var difference = UInt8(given.count == wanted.count ? 0 : 1)
            for index in 0..<wanted.count { difference |= wanted[index] ^ (index < given.count ? given[index] : 0) }
            if difference == 0 { found = match }
        }
        return found
    }
}
