import Hummingbird

/// Hummingbird's basic request context plus the connection's remote address, so that a
/// server can tell its clients apart (per-address limits) without trusting a header.
public struct PeerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's IP address as text (no port); "-" when the socket has none.
    public let peer: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress?.ipAddress ?? "-"
    }
}
