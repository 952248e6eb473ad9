import ArgumentParser
import Foundation
import Logging
import SluiceGateway
import SluiceHTTP
import SluiceLifecycle
import SluiceRegistry
import SluiceWorkerMain
import SluiceWorkflow

/// `sluice gateway`: HTTP in front of a running workflow.
struct GatewayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Serve a workflow over HTTP: post events, fetch results, predict, status and a live dashboard.",
        discussion: """
            Routes (the OpenAPI document is at /openapi.json):
              POST /v1/workflows/NAME/events   {"text": ...} or an array: 202 + ids
              POST /v1/workflows/NAME/predict  one event, waits: 200, 422 or 504
              GET  /v1/events/ID               result, dead-letter reason, or 404
              GET  /v1/status                  as `sluice status --json`
              GET  /v1/dashboard               the dashboard's data
              GET  /healthz, /readyz, /metrics
              GET  /                           the dashboard

            Events are answered 202 only once the broker has acknowledged them. Results are kept \
            in a bounded cache fed by reading the output and dead-letter topics (--cache-size), \
            including the last --backfill records per partition from before the gateway started.
            With tokens (--tokens-file, SLUICE_GATEWAY_TOKENS or --token), every route under /v1 \
            needs 'Authorization: Bearer TOKEN': the POST routes one of scope write, the others \
            read or write. /, /healthz, /readyz, /metrics and /openapi.json stay open.
            The gateway binds to 127.0.0.1 unless --host says otherwise. On any other address it \
            needs tokens and TLS (--tls-cert and --tls-key, or --behind-tls-proxy when a proxy in \
            front ends TLS), unless --insecure is given. It answers only to the host names \
            localhost, the --host name and --public-host, and to addresses: a request naming any \
            other Host is refused with 421, so a web page cannot reach it through DNS rebinding.
            """)

    @Option(name: .long, help: "The workflow file whose input the gateway feeds and whose output it reads.")
    var workflow: String

    @OptionGroup var broker: BrokerOptions

    @Option(name: .long, help: "Address to listen on (0.0.0.0 for every interface).") var host = "127.0.0.1"
    @Option(name: .long, help: "Port to listen on (0: any free port, printed at start).") var port = 8080
    @Option(
        name: .customLong("token"),
        help: "A bearer token of scope write (repeatable). Visible to other users in `ps`: prefer --tokens-file.")
    var tokens: [String] = []
    @Option(
        name: .customLong("tokens-file"),
        help: """
            A file of accepted bearer tokens, one per line as 'TOKEN [read|write]' (scope write when left out; \
            '#' starts a comment). SLUICE_GATEWAY_TOKENS holds the same lines, separated by newlines or commas.
            """)
    var tokensFile: String?
    @Flag(name: .long, help: "Serve on an address other than loopback without tokens.") var insecure = false
    @Flag(
        name: .customLong("access-log"), inversion: .prefixedNo,
        help: """
            One log line per request: method, route, status, milliseconds and the token's id (8 hex digits of its \
            SHA-256, printed at start), never the token.
            """)
    var accessLog = true
    @Option(
        name: .customLong("allow-origin"),
        help: "An origin (https://host[:port]) whose pages may call the gateway, besides its own (repeatable).")
    var allowOrigins: [String] = []
    @Option(name: .customLong("tls-cert"), help: "Serve HTTPS with this PEM certificate chain (with --tls-key).")
    var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "The PEM private key of --tls-cert.") var tlsKey: String?
    @Flag(
        name: .customLong("behind-tls-proxy"),
        help: "TLS ends in a proxy in front of the gateway: allow plain HTTP on an address other than loopback.")
    var behindTLSProxy = false
    @Option(
        name: .customLong("public-host"),
        help: """
            A name clients reach the gateway by, such as gateway.example.com (repeatable). Requests whose Host \
            is not localhost, an address, the --host name or one of these are refused with 421 (DNS rebinding).
            """)
    var publicHosts: [String] = []
    @Option(
        name: .customLong("produce-timeout-ms"),
        help: "How long the broker has to acknowledge a POST's events (then 503).")
    var produceTimeoutMs = 10_000
    @Option(
        name: .customLong("idle-timeout-s"),
        help: "Close connections idle, or slow to send their request, for this long.")
    var idleTimeoutSeconds = 30.0
    @Option(
        name: .customLong("max-concurrent-requests"), help: "Requests handled at once (past it: 503, Retry-After).")
    var maxConcurrentRequests = 512
    @Option(
        name: .customLong("rate-limit"),
        help: """
            Requests a second per client (each token, or each address without one; bursts of twice that): past it \
            429 with Retry-After. 0: none. Wrong tokens are throttled per address regardless (ten a minute).
            """)
    var rateLimit = 0.0
    @Option(name: .customLong("max-predict-waiters"), help: "Predict calls waiting at once (past it: 503).")
    var maxPredictWaiters = 1_000
    @Option(name: .customLong("predict-timeout-ms"), help: "How long predict waits for a result by default.")
    var predictTimeoutMs = 10_000
    @Option(name: .customLong("max-body-bytes"), help: "Largest request body accepted (larger: 413).")
    var maxBodyBytes = 1 << 20
    @Option(name: .customLong("max-events"), help: "Most events in one POST.") var maxEvents = 1_000
    @Option(name: .customLong("cache-size"), help: "Results kept for GET /v1/events/ID.") var cacheSize = 10_000
    @Option(
        name: .customLong("result-cache-bytes"),
        help: "Memory the results kept may take, estimated (oldest evicted first; default 128 MiB).")
    var resultCacheBytes = 128 << 20
    @Option(name: .long, help: "Records per partition of the output topic read back at start.") var backfill = 1_000

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard predictTimeoutMs > 0 else { throw ValidationError("--predict-timeout-ms must be positive") }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
        guard rateLimit >= 0, rateLimit.isFinite else { throw ValidationError("--rate-limit must be 0 or more") }
        guard resultCacheBytes >= 1 << 20 else {
            throw ValidationError("--result-cache-bytes must be at least 1048576 (1 MiB)")
        }
        guard maxEvents > 0, cacheSize > 0, backfill >= 0 else {
            throw ValidationError("--max-events and --cache-size must be positive, --backfill zero or more")
        }
        for (index, token) in tokens.enumerated() {
            guard !token.contains(where: \.isWhitespace) else {
                throw ValidationError("--token values must contain no spaces (--token number \(index + 1))")
            }
            if let problem = Self.tokenProblem(token) {
                throw ValidationError("--token number \(index + 1): \(problem)")
            }
        }
        guard produceTimeoutMs > 0, idleTimeoutSeconds > 0, maxConcurrentRequests > 0, maxPredictWaiters > 0 else {
            throw ValidationError(
                "--produce-timeout-ms, --idle-timeout-s, --max-concurrent-requests and --max-predict-waiters must be positive"
            )
        }
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together: give the certificate chain and its key")
        }
        for name in publicHosts where !HostAllowList.isHostName(name) {
            throw ValidationError("--public-host takes a host name such as gateway.example.com, not '\(name)'")
        }
        for origin in allowOrigins where !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) {
            throw ValidationError("--allow-origin takes an origin such as https://example.com, not '\(origin)'")
        }
    }

    static func readTokens(_ path: String) throws -> [String: TokenScope] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CLIError("cannot read the tokens file '\(path)': give a readable file with one token per line")
        }
        let tokens = try parseTokens(text, from: "the tokens file '\(path)'")
        guard !tokens.isEmpty else {
            throw CLIError("the tokens file '\(path)' holds no token: put one token per line")
        }
        return tokens
    }

    /// Lines (or comma-separated entries) of 'TOKEN [read|write]'; '#' starts a comment.
    /// A problem names its entry by number, never by its text: that would print the token.
    static func parseTokens(_ text: String, from source: String) throws -> [String: TokenScope] {
        var tokens: [String: TokenScope] = [:]
        for (index, line) in text.split(whereSeparator: { $0.isNewline || $0 == "," }).enumerated() {
            let content =
                line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let words = content.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let token = words.first else { continue }
            let entry = "\(source), entry \(index + 1)"
            guard words.count <= 2 else { throw CLIError("\(entry) is not 'TOKEN [read|write]'") }
            guard let scope = words.count == 2 ? TokenScope(rawValue: words[1].lowercased()) : .write else {
                throw CLIError("\(entry): the scope of a token is read or write, not '\(words[1])'")
            }
            if let problem = tokenProblem(token) { throw CLIError("\(entry): \(problem)") }
            tokens[token] = scope
        }
        return tokens
    }

    /// Fewer than 32 characters (128 bits as hex) can be guessed by whoever can send
    /// requests fast enough.
    static let minimumTokenLength = 32

    static func tokenProblem(_ token: String) -> String? {
        guard token.count < minimumTokenLength else { return nil }
        return "a token of \(token.count) characters is too short: give at least \(minimumTokenLength) "
            + "random ones, e.g. from `openssl rand -hex 16`"
    }

    func run() throws {
        let spec = try Workflow.load(path: workflow)
        var options = GatewayOptions(brokers: try broker.required(), properties: try broker.extraProperties())
        options.host = host
        options.registry = RegistrySettings(topic: SluiceEnvironment.registryTopic)
        options.port = port
        var accepted = Dictionary(tokens.map { ($0, TokenScope.write) }, uniquingKeysWith: { $1 })
        if let text = ProcessInfo.processInfo.environment["SLUICE_GATEWAY_TOKENS"], !text.isEmpty {
            accepted.merge(try Self.parseTokens(text, from: "SLUICE_GATEWAY_TOKENS")) { $1 }
        }
        if let tokensFile { accepted.merge(try Self.readTokens(tokensFile)) { $1 } }
        options.tokens = accepted
        options.insecure = insecure
        options.behindTLSProxy = behindTLSProxy
        if let tlsCert, let tlsKey { options.tls = TLSFiles(certificate: tlsCert, key: tlsKey) }
        options.accessLog = accessLog
        options.allowedOrigins = Set(allowOrigins)
        options.publicHosts = Set(publicHosts)
        options.produceTimeoutMs = produceTimeoutMs
        options.idleTimeoutSeconds = idleTimeoutSeconds
        options.maxConcurrentRequests = maxConcurrentRequests
        options.rateLimit = rateLimit
        options.maxPredictWaiters = maxPredictWaiters
        if let refusal = options.bindRefusal { throw CLIError(refusal) }
        let logger = Logger(label: "sluice.gateway")
        options.predictTimeoutMs = predictTimeoutMs
        options.maxBodyBytes = maxBodyBytes
        options.maxEventsPerRequest = maxEvents
        options.cacheCapacity = cacheSize
        options.cacheBytes = resultCacheBytes
        options.backfill = backfill
        let gateway = Gateway(workflow: spec, options: options, logger: logger)
        let (name, host, guarded) = (spec.name, host, !options.tokens.isEmpty)
        let scheme = options.tls == nil ? "http" : "https"
        if guarded {
            let ids = options.tokens.map { "\(GatewayOptions.tokenID($0.key)) (\($0.value.rawValue))" }.sorted()
            logger.info("tokens \(ids.joined(separator: ", ")): the access log names a token by its id")
        }
        try ServiceRunner.runBlocking(
            [
                gateway.service { bound in
                    print(
                        "gateway for \(name): \(scheme)://\(host):\(bound)/ (dashboard), API under /v1, "
                            + "OpenAPI at /openapi.json\(guarded ? "; /v1 routes need a bearer token" : "")")
                    fflush(nil)
                }
            ], logger: logger)
    }
}
