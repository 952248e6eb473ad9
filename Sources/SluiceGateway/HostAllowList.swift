import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The names the gateway answers to, checked on every request's `Host` (421 otherwise).
///
/// DNS rebinding: a page of another site whose name the attacker makes resolve to
/// 127.0.0.1 reaches a loopback gateway with its own name in both `Host` and `Origin`,
/// so the Origin check alone lets it read /v1 and post. The name in `Host` is what gives
/// it away: only `localhost`, the `--host` name, the `--public-host` names and address
/// literals are served. An address literal cannot be rebound (the browser connects to
/// that very address), so any IPv4 or bracketed IPv6 literal is allowed; a request with
/// no `Host` at all (HTTP/1.0 tools) does not come from a browser page and is served too.
public struct HostAllowList: Sendable {
    /// Lower case, without a trailing dot.
    public let names: Set<String>

    /// `bind`: the `--host` the gateway listens on (a name there is allowed, an address
    /// is covered as a literal); `publicHosts`: the names clients reach it by.
    public init(bind: String, publicHosts: Set<String>) {
        var names: Set<String> = ["localhost"]
        for name in publicHosts.union([bind]) {
            let bare = Self.normalised(name)
            if !bare.isEmpty, !Self.isAddressLiteral(bare) { names.insert(bare) }
        }
        self.names = names
    }

    /// Whether a request whose `Host` is `authority` (`name[:port]`, `[v6][:port]`) is served.
    public func allows(_ authority: String) -> Bool {
        guard let host = Self.hostPart(of: authority) else { return false }
        if host.hasPrefix("[") { return Self.isIPv6(String(host.dropFirst().dropLast())) }
        let bare = Self.normalised(host)
        return !bare.isEmpty && (names.contains(bare) || Self.isIPv4(bare))
    }

    /// Whether `text` can be a `--public-host`: a name without port, scheme or path.
    public static func isHostName(_ text: String) -> Bool {
        !text.isEmpty && !text.hasPrefix("[") && hostPart(of: text) == Substring(text)
            && text.unicodeScalars.allSatisfy {
                $0.properties.isAlphabetic || "0123456789.-_".unicodeScalars.contains($0)
            }
    }

    /// The host of `name[:port]` or `[v6][:port]` (brackets kept), nil when malformed.
    static func hostPart(of authority: String) -> Substring? {
        var host = Substring(authority)
        var port: Substring = ""
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            port = host[host.index(after: close)...]
            host = host[...close]
        } else if let colon = host.firstIndex(of: ":") {
            port = host[colon...]
            host = host[..<colon]
        }
        if !port.isEmpty {
            let digits = port.dropFirst()
            guard port.first == ":", (1...5).contains(digits.count), digits.allSatisfy(\.isASCII),
                digits.allSatisfy(\.isNumber)
            else { return nil }
        }
        return host
    }

    static func normalised(_ name: some StringProtocol) -> String {
        let lower = name.lowercased()
        return lower.hasSuffix(".") ? String(lower.dropLast()) : lower
    }

    static func isAddressLiteral(_ host: String) -> Bool {
        isIPv4(host) || isIPv6(host.trimmingCharacters(in: ["[", "]"]))
    }

    /// Dotted decimal only (inet_pton refuses `127.1` and hex forms).
    static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }
}
