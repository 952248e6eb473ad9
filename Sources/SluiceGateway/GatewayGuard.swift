import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SluiceHTTP

/// What every request passes before its route: the `Host` allow-list (421), the cap on concurrent requests, the
/// method (405 with `Allow` for a path served under other methods, 404 for one not
/// served at all), the browser's `Origin`, the bearer token of /v1 routes and the
/// `Content-Type` of POSTs. Every answer, the route's or a refusal, carries
/// `X-Content-Type-Options: nosniff` and is counted on /metrics.
struct GatewayGuard: RouterMiddleware {
    typealias Context = PeerRequestContext
    let gateway: Gateway

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        let (route, response) = try await answer(request, context: context, next: next)
        var final = response
        final.headers[.xContentTypeOptions] = "nosniff"
        if final.headers[.cacheControl] == nil { final.headers[.cacheControl] = "no-store" }
        gateway.counters.request(route?.id.rawValue ?? "unmatched", status: final.status.code)
        if let log = gateway.accessLog { access(log, request, route, final.status.code, since: started) }
        return final
    }

    /// `METHOD ROUTE STATUS MS token=ID`: the route's template (`/v1/events/{id}`, `-` for
    /// no route), so neither ids nor anything a client typed reach the log.
    private func access(
        _ log: Logger, _ request: Request, _ route: GatewayRoute?, _ status: Int, since started: ContinuousClock.Instant
    ) {
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
        let method = route?.method.rawValue ?? (request.method.rawValue.count <= 10 ? request.method.rawValue : "?")
        let token = gateway.presentedToken(request)?.id ?? "-"
        log.info("\(method) \(route?.path ?? "-") \(status) \(String(format: "%.1f", ms)) ms token=\(token)")
    }

    private func answer(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> (GatewayRoute?, Response) {
        if let host = request.head.authority, !gateway.hosts.allows(host) {
            return (nil, gateway.misdirected(host))
        }
        let candidates = GatewayRoute.matching(path: request.uri.path)
        guard !candidates.isEmpty else {
            return (nil, gateway.error(.notFound, "no route \(request.uri.path): see /openapi.json for the routes"))
        }
        guard let route = candidates.first(where: { $0.method == request.method }) else {
            let allowed = candidates.map(\.method.rawValue).joined(separator: ", ")
            var response = gateway.error(
                .methodNotAllowed, "\(request.uri.path) answers \(allowed), not \(request.method.rawValue)")
            response.headers[.allow] = allowed
            return (candidates.first, response)
        }
        // /healthz stays outside the cap and the limits: a busy gateway is alive.
        if route.id != .healthz, let refusal = gateway.limitRefusal(request, peer: context.peer) {
            return (route, refusal)
        }
        let capped = route.id != .healthz
        if capped {
            guard gateway.inFlight.enter(limit: gateway.options.maxConcurrentRequests) else {
                var response = gateway.error(
                    .serviceUnavailable,
                    "the gateway is handling \(gateway.options.maxConcurrentRequests) requests already: retry in a second"
                )
                response.headers[.retryAfter] = "1"
                return (route, response)
            }
        }
        defer { if capped { gateway.inFlight.add(-1) } }
        if let refusal = gateway.refusal(route, request, peer: context.peer) { return (route, refusal) }
        return (route, try await next(request, context))
    }
}

extension GatewayRoute {
    /// Each route's path split into segments once, for `matching`.
    private static let templates: [(route: GatewayRoute, segments: [Substring])] = all.map {
        ($0, $0.path.split(separator: "/", omittingEmptySubsequences: false))
    }

    /// The routes whose path template matches `path` (one per method served there).
    static func matching(path: String) -> [GatewayRoute] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        var found: [GatewayRoute] = []
        for (route, template) in templates where template.count == segments.count {
            var matches = true
            for (pattern, segment) in zip(template, segments)
            where pattern.first == "{" ? segment.isEmpty : pattern != segment {
                matches = false
                break
            }
            if matches { found.append(route) }
        }
        return found
    }
}

extension Gateway {
    /// The refusal of a request that a browser page of another site sent (403), that
    /// lacks the token its route needs (401, 403 for a read token on a write route),
    /// or that POSTs something other than JSON (415); nil when it may go on.
    func refusal(_ route: GatewayRoute, _ request: Request, peer: String) -> Response? {
        if let origin = request.headers[.origin], !originAllowed(origin, request) {
            return error(
                .forbidden,
                "requests from pages of \(origin) are refused: open the dashboard from the gateway itself, "
                    + "or start the gateway with --allow-origin \(origin)")
        }
        if route.path.hasPrefix("/v1/"), !options.tokens.isEmpty {
            let needed: TokenScope = route.writes ? .write : .read
            let header = request.headers[.authorization] ?? ""
            guard let scope = presentedToken(request)?.scope else {
                if !header.isEmpty { limits.failed(peer) }
                var response = error(
                    .unauthorized,
                    header.isEmpty
                        ? "this route needs a bearer token: send 'Authorization: Bearer <token>'"
                        : "the bearer token is not one this gateway accepts (see --tokens-file)")
                response.headers[.wwwAuthenticate] = "Bearer realm=\"sluice\""
                return response
            }
            guard scope.allows(needed) else {
                var response = error(
                    .forbidden,
                    "this token may only read: \(route.method.rawValue) \(route.path) needs a token with scope 'write' "
                        + "in the tokens file")
                response.headers[.wwwAuthenticate] =
                    "Bearer realm=\"sluice\", error=\"insufficient_scope\", scope=\"write\""
                return response
            }
        }
        if route.method == .post {
            let type = request.headers[.contentType] ?? ""
            let media = type.split(separator: ";", maxSplits: 1).first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            guard media == "application/json" else {
                return error(
                    .unsupportedMediaType,
                    type.isEmpty
                        ? "send the events with 'Content-Type: application/json'"
                        : "the body must be JSON sent as 'Content-Type: application/json', not '\(type)'")
            }
        }
        return nil
    }

    /// 429 with `Retry-After` for an address past its failed tokens (when it presents a
    /// token), or a client past `--rate-limit`: a valid token's id, else its address.
    func limitRefusal(_ request: Request, peer: String) -> Response? {
        let presented = request.headers[.authorization] != nil
        if presented, !tokens.isEmpty, let wait = limits.blockedForFailures(peer) {
            return tooMany(wait, "too many wrong tokens from this address: wait before trying again")
        }
        guard limits.rate > 0 else { return nil }  // the token is matched only when a rate is set
        let client = presentedToken(request).map { "token:\($0.id)" } ?? "address:\(peer)"
        if let wait = limits.admit(client) {
            return tooMany(wait, "more than \(Int(limits.rate)) requests a second from this client (--rate-limit)")
        }
        return nil
    }

    private func tooMany(_ wait: Double, _ why: String) -> Response {
        var response = error(.tooManyRequests, "\(why); retry after the time in Retry-After")
        response.headers[.retryAfter] = String(max(1, Int(wait.rounded(.up))))
        return response
    }

    /// The accepted token the request presents as its bearer token, nil without a valid one.
    func presentedToken(_ request: Request) -> GatewayTokens.Match? {
        guard !tokens.isEmpty else { return nil }
        let parts = (request.headers[.authorization] ?? "").split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return tokens.match(String(parts[1]).trimmingCharacters(in: .whitespaces))
    }

    /// 421 for a `Host` this gateway does not answer to (see `HostAllowList`).
    func misdirected(_ host: String) -> Response {
        let shown = host.unicodeScalars.count > 100 ? String(host.prefix(100)) + "..." : host
        return error(
            .misdirectedRequest,
            "this gateway does not answer to the host name '\(shown)': open it as http://127.0.0.1:PORT/ "
                + "(or by its address), or start it with --public-host NAME for a name that is yours")
    }

    /// The gateway's own origin (the one the request's `Host` names, checked by `HostAllowList`), and those of `--allow-origin`.
    func originAllowed(_ origin: String, _ request: Request) -> Bool {
        let given = origin.lowercased()
        if options.allowedOrigins.contains(where: { $0.lowercased() == given }) { return true }
        guard let host = request.head.authority?.lowercased(), !host.isEmpty else {
            return false
        }
        return given == "http://\(host)" || given == "https://\(host)"
    }
}
