import Foundation
import SluiceHTTP
import SluiceJSON
import SluiceRegistry

/// How a gateway runs. Defaults suit one machine; `sluice gateway --help` explains each.
public struct GatewayOptions: Sendable {
    public var brokers: String
    /// librdkafka properties passed through (SASL, TLS, ...).
    public var properties: [String: String]
    public var host: String = "127.0.0.1"
    /// 0 = any free port (tests).
    public var port: Int = 8080
    /// Bearer token -> what it may do. Empty = no auth (then only a loopback `host`
    /// is allowed, unless `insecure`).
    public var tokens: [String: TokenScope] = [:]
    /// Log one line per request: method, route (its template, not the path, so no ids or
    /// query text), status, milliseconds and the token's id, never the token.
    public var accessLog: Bool = false
    /// Serve without tokens (and without TLS) on an address other than loopback.
    public var insecure: Bool = false
    /// Serve HTTPS with these files (`--tls-cert`, `--tls-key`).
    public var tls: TLSFiles?
    /// TLS ends in front of the gateway (a proxy or load balancer): plain HTTP on an
    /// address other than loopback is then allowed, with tokens.
    public var behindTLSProxy: Bool = false
    /// Origins (`scheme://host[:port]`) whose pages may call the gateway, besides the
    /// gateway's own (the one the request's `Host` names). A request without `Origin`
    /// does not come from a browser page and is not checked.
    public var allowedOrigins: Set<String> = []
    /// Names clients reach the gateway by (`--public-host`), besides `localhost`, the
    /// `host` name and address literals: any other `Host` is answered 421 (`HostAllowList`).
    public var publicHosts: Set<String> = []
    public var maxBodyBytes: Int = 1 << 20
    public var maxEventsPerRequest: Int = 1_000
    /// How long `predict` waits for the result by default, and at most.
    public var predictTimeoutMs: Int = 10_000
    public var maxPredictTimeoutMs: Int = 60_000
    /// How long the broker has to acknowledge a POST's events before the request is
    /// answered 503 (librdkafka's `message.timeout.ms` of the gateway's producer).
    public var produceTimeoutMs: Int = 10_000
    /// A connection with no request under way, or whose request head has not arrived,
    /// is closed after this many seconds (slow or idle clients).
    public var idleTimeoutSeconds: Double = 30
    /// The whole body must arrive within this many seconds of the head (slow senders: 408).
    public var bodyTimeoutSeconds: Double = 10
    /// Requests handled at once (every route but /healthz); past it: 503 + Retry-After.
    public var maxConcurrentRequests: Int = 512
    /// Requests a second per client (a valid token, else an address; bursts of twice
    /// that), past it 429 + Retry-After; 0: no limit. Failed tokens are throttled per
    /// address whatever this is (`ClientLimits`).
    public var rateLimit: Double = 0
    /// `predict` calls waiting for their result at once; past it: 503 + Retry-After.
    public var maxPredictWaiters: Int = 1_000
    /// `/readyz` fails while the results follower is more than this many records behind.
    public var maxFollowerLag: Int64 = 10_000
    /// `GET /v1/status` is served from a view read at most this often from the registry.
    public var statusRefreshSeconds: Double = 2
    /// Results kept for `GET /v1/events/{id}`: at most this many, and at most
    /// `cacheBytes` of them by their estimated size (1 MB events would otherwise make
    /// 10,000 results some 10 GB).
    public var cacheCapacity: Int = 10_000
    public var cacheBytes: Int = 128 << 20
    /// Ids of accepted events remembered (with what they held) to tell a retry from a reuse.
    public var acceptedIDCapacity: Int = 100_000
    /// Records per partition read back from before the gateway started, so results of
    /// recent events stay answerable across a gateway restart.
    public var backfill: Int = 1_000
    /// Seconds per trend window on the dashboard.
    public var dashboardWindowSeconds: Int = 5
    /// Announce the gateway in the registry (nil: do not).
    public var registry: RegistrySettings? = RegistrySettings()
    /// The autoscaler's recent decisions for the dashboard (`sluice up --autoscale` runs one
    /// in the same process); nil: no autoscaler here, and `/v1/dashboard` says `scaling: null`.
    public var scaling: (@Sendable () -> JSONValue)?

    public init(brokers: String, properties: [String: String] = [:]) {
        self.brokers = brokers
        self.properties = properties
    }

    /// How the access log and the start line name `token` (8 hex digits of its SHA-256).
    public static func tokenID(_ token: String) -> String { GatewayTokens.id(of: token) }

    public var hostAllowList: HostAllowList { HostAllowList(bind: host, publicHosts: publicHosts) }

    /// Why the gateway must not serve with these options, with what to do; nil when it may.
    /// Past loopback it needs tokens, and TLS of its own or in front of it: otherwise
    /// the tokens would cross the network in clear.
    public var bindRefusal: String? {
        guard !insecure, !Self.isLoopback(host) else { return nil }
        if tokens.isEmpty {
            return "refusing to serve on \(host) without tokens: anyone who can reach it could post events and read "
                + "results. Give tokens (--tokens-file FILE or SLUICE_GATEWAY_TOKENS), bind to 127.0.0.1, "
                + "or pass --insecure if the network in front of it does the checking"
        }
        if tls == nil && !behindTLSProxy {
            return "refusing to serve on \(host) over plain HTTP: the bearer tokens would cross the network in clear. "
                + "Give --tls-cert FILE --tls-key FILE, or pass --behind-tls-proxy if a proxy in front of it "
                + "ends TLS, or bind to 127.0.0.1"
        }
        return nil
    }

    /// 127.0.0.0/8, ::1 and localhost.
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: ["[", "]"]).lowercased()
        if bare == "localhost" || bare == "::1" || bare == "0:0:0:0:0:0:0:1" { return true }
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// What a bearer token may do: `read` the GET routes under /v1, or `write` (post
/// events and predict) as well.
public enum TokenScope: String, Sendable, CaseIterable {
    case read, write

    public func allows(_ needed: TokenScope) -> Bool { self == .write || needed == .read }
}
