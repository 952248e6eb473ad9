import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SluiceEvents
import SluiceHTTP
import SluiceJSON
import SluiceKafka
import SluiceLifecycle
import SluiceMonitor
import SluiceRegistry
import SluiceWorkflow

/// The HTTP gateway of one workflow (`sluice gateway`): events in over HTTP, results
/// out of the output topic by id, a synchronous predict, status, health, metrics, the
/// OpenAPI document and the dashboard. See `GatewayRoute.all` for the routes.
///
/// Nothing is answered 202 before the broker has acknowledged the events, so an
/// accepted event is never lost by the gateway.
public final class Gateway: @unchecked Sendable {
    public let workflow: Workflow
    public let options: GatewayOptions
    public let cache: ResultCache
    public let dashboard: DashboardState
    let intake: EventIntake
    let counters = GatewayCounters()
    let config: KafkaConfig
    let logger: Logger
    private var producer: KafkaProducer?
    private var follower: ResultFollower?
    private var server: HTTPServer?
    private var announcer: RegistryAnnouncer?
    private let readiness = ReadinessProbe()

    public init(workflow: Workflow, options: GatewayOptions, logger: Logger = Logger(label: "sluice.gateway")) {
        self.workflow = workflow
        self.options = options
        self.logger = logger
        cache = ResultCache(capacity: options.cacheCapacity)
        dashboard = DashboardState(workflow: workflow, windowSeconds: options.dashboardWindowSeconds)
        intake = EventIntake(workflow: workflow, maxEvents: options.maxEventsPerRequest)
        config = KafkaConfig(
            bootstrapServers: options.brokers, clientID: "sluice-gateway", properties: options.properties)
    }

    /// Connects to the broker, starts following results, then serves. Returns the bound
    /// port. Throws with the fix when a topic is missing or the port cannot be bound.
    @discardableResult
    public func start() throws -> Int {
        producer = try KafkaProducer(config: KafkaProducerConfig(common: config))
        let follower = ResultFollower(
            workflow: workflow, config: config, cache: cache, dashboard: dashboard, backfill: options.backfill,
            logger: logger)
        try follower.start()
        self.follower = follower
        let server = HTTPServer(host: options.host, port: options.port, purpose: "the gateway", logger: logger) {
            router in
            for route in GatewayRoute.all {
                router.on(RouterPath(route.path), method: route.method) { [self] request, context in
                    let response = await self.respond(route, request, context)
                    counters.request(route.id, status: response.status.code)
                    return response
                }
            }
        }
        let port = try server.start()
        self.server = server
        announce(port: port)
        logger.info("gateway for \(workflow.name) at http://\(options.host):\(port)/ (dashboard), API under /v1")
        return port
    }

    public var port: Int? { server?.port }

    public func stop() {
        server?.stop()
        announcer?.stop()
        follower?.stop()
        producer?.close()
        server = nil
        announcer = nil
        follower = nil
        producer = nil
    }

    private func announce(port: Int) {
        guard let settings = options.registry else { return }
        let member = Registry.memberID(
            workflow: workflow.name, stage: "gateway", instance: "\(ProcessInfo.processInfo.hostName):\(getpid())")
        let cache = self.cache
        let follower = self.follower
        let announcer = RegistryAnnouncer(
            config: config, settings: settings, kind: .gateway, member: member, workflow: workflow.name, stage: nil,
            logger: logger
        ) {
            RegistryAnnouncer.Status(
                partitions: ["http:\(port)"], eventsProcessed: follower?.counts.results ?? cache.count)
        }
        do {
            try announcer.start()
            self.announcer = announcer
        } catch {
            logger.warning("not announcing the gateway in the registry \(settings.topic): \(error)")
        }
    }

    // MARK: Handlers

    func respond(_ route: GatewayRoute, _ request: Request, _ context: BasicRequestContext) async -> Response {
        if route.writes, let refusal = authorize(request) { return refusal }
        switch route.id {
        case .dashboard:
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: DashboardPage.html(workflow: workflow.name))))
        case .openapi:
            return json(
                .ok, GatewayRoute.openAPIDocument(workflow: workflow.name, authRequired: !options.tokens.isEmpty))
        case .healthz:
            return json(.ok, .object(["status": .string("ok")]))
        case .readyz:
            return await ready()
        case .metrics:
            let seen = follower?.counts ?? (results: 0, deadLetters: 0)
            let text = counters.prometheusText(
                workflow: workflow.name, cached: cache.count, results: seen.results, deadLetters: seen.deadLetters)
            return Response(
                status: .ok, headers: [.contentType: PrometheusContentType.value],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        case .status:
            return await status()
        case .dashboardData:
            return json(.ok, dashboard.json())
        case .postEvents, .predict:
            guard context.parameters.get("name") == workflow.name else {
                return error(
                    .notFound,
                    "no workflow '\(context.parameters.get("name") ?? "")' here: this gateway serves '\(workflow.name)'"
                )
            }
            return route.id == .predict ? await predict(request) : await post(request)
        case .getEvent:
            let id = context.parameters.get("id") ?? ""
            if let result = cache.result(for: id) { return json(.ok, result.json(id: id)) }
            let state = cache.isPending(id) ? "pending" : "unknown"
            return json(.notFound, .object(["id": .string(id), "status": .string(state)]))
        }
    }

    /// 401 unless the request carries one of the tokens (when tokens are set).
    func authorize(_ request: Request) -> Response? {
        guard !options.tokens.isEmpty else { return nil }
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        if header.hasPrefix(prefix), TokenCheck.matches(String(header.dropFirst(prefix.count)), options.tokens) {
            return nil
        }
        var response = error(
            .unauthorized,
            header.isEmpty
                ? "this route needs a bearer token: send 'Authorization: Bearer <token>'"
                : "the bearer token is not one this gateway accepts (see --token / --tokens-file)")
        response.headers[.wwwAuthenticate] = "Bearer realm=\"sluice\""
        return response
    }

    private func readBody(_ request: Request) async -> Refusable<[UInt8]> {
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: options.maxBodyBytes)
            return .ok(Array(buffer.readableBytesView))
        } catch {
            return .refused(
                self.error(
                    .contentTooLarge,
                    "the body is larger than \(options.maxBodyBytes) bytes: send fewer events per request (see --max-body-bytes)"
                ))
        }
    }

    private func readEvents(_ request: Request, single: Bool) async -> Refusable<EventIntake.Accepted> {
        let body: [UInt8]
        switch await readBody(request) {
        case .ok(let bytes): body = bytes
        case .refused(let response): return .refused(response)
        }
        do throws(IntakeError) {
            return .ok(
                try intake.accept(
                    body, single: single, traceparent: request.headers[HTTPField.Name(EventHeaders.traceparent)!]))
        } catch {
            return .refused(
                json(
                    .badRequest,
                    .object([
                        "error": .string(
                            error.problems.count == 1
                                ? error.problems[0] : "\(error.problems.count) problems in the request"),
                        "problems": .array(error.problems.map(JSONValue.string)),
                    ])))
        }
    }

    private func produce(_ accepted: EventIntake.Accepted) async -> Response? {
        guard let producer else { return error(.serviceUnavailable, "the gateway is stopping") }
        do {
            let reports = try await producer.sendBatch(accepted.messages, timeoutMs: 30_000)
            if let failed = reports.first(where: { !$0.isDelivered }) {
                return error(
                    .serviceUnavailable,
                    "the broker did not acknowledge every event (\(failed)); nothing to retry for those acknowledged, resend the rest"
                )
            }
        } catch {
            return self.error(.serviceUnavailable, "cannot produce to \(workflow.input): \(error)")
        }
        counters.accepted(accepted.ids.count)
        return nil
    }

    private func post(_ request: Request) async -> Response {
        let accepted: EventIntake.Accepted
        switch await readEvents(request, single: false) {
        case .ok(let value): accepted = value
        case .refused(let response): return response
        }
        cache.markPending(accepted.ids)
        if let failure = await produce(accepted) { return failure }
        return json(
            .accepted,
            .object([
                "ids": .array(accepted.ids.map(JSONValue.string)), "topic": .string(workflow.input),
                "results": .array(accepted.ids.map { .string("/v1/events/\($0)") }),
            ]))
    }

    private func predict(_ request: Request) async -> Response {
        var timeout = options.predictTimeoutMs
        if let given = request.uri.queryParameters["timeout_ms"] {
            guard let value = Int(given), value > 0 else {
                return error(.badRequest, "timeout_ms must be a positive whole number of milliseconds")
            }
            timeout = min(value, options.maxPredictTimeoutMs)
        }
        let accepted: EventIntake.Accepted
        switch await readEvents(request, single: true) {
        case .ok(let value): accepted = value
        case .refused(let response): return response
        }
        let id = accepted.ids[0]
        let started = Date()
        // Expect before producing: the result may come back before we wait.
        let promise = cache.expect(id)
        cache.markPending([id])
        if let failure = await produce(accepted) {
            cache.abandon(promise, for: id)
            return failure
        }
        guard let result = await promise.value(timeoutMs: timeout) else {
            cache.abandon(promise, for: id)
            counters.predicted(seconds: 0, timedOut: true)
            return json(
                .gatewayTimeout,
                .object([
                    "id": .string(id), "status": .string("pending"),
                    "error": .string("no result within \(timeout) ms; the event was accepted: poll /v1/events/\(id)"),
                ]))
        }
        counters.predicted(seconds: Date().timeIntervalSince(started), timedOut: false)
        if case .failed = result { return json(.unprocessableContent, result.json(id: id)) }
        return json(.ok, result.json(id: id))
    }

    private func ready() async -> Response {
        let workflow = self.workflow
        let config = self.config
        let following = follower != nil
        let checks = await readiness.check {
            var checks: [String: JSONValue] = [:]
            var ok = following
            checks["results_follower"] = .string(following ? "ok" : "not started")
            do {
                let admin = try KafkaAdmin(config: config)
                let present = Set(try admin.listTopics(timeoutMs: 3_000).map(\.name))
                checks["broker"] = .string("ok")
                let wanted = Set(
                    [workflow.input, workflow.output, workflow.deadLetter] + workflow.stages.map(\.output))
                let missing = wanted.subtracting(present).sorted()
                checks["topics"] =
                    missing.isEmpty
                    ? .string("ok") : .string("missing: \(missing.joined(separator: ", ")) (run `sluice topics apply`)")
                ok = ok && missing.isEmpty
            } catch {
                checks["broker"] = .string("unreachable: \(error)")
                ok = false
            }
            return (ok, checks)
        }
        return json(
            checks.ok ? .ok : .serviceUnavailable,
            .object(["ready": .bool(checks.ok), "checks": .object(checks.details)]))
    }

    private func status() async -> Response {
        let config = self.config
        let workflow = self.workflow
        let settings = options.registry ?? RegistrySettings()
        do {
            let report = try await Blocking.run {
                try StatusReport.read(config: config, topic: settings.topic, workflow: workflow, staleAfterSeconds: 10)
            }
            return json(.ok, report.json())
        } catch {
            return self.error(.serviceUnavailable, "cannot read the registry: \(error)")
        }
    }

    // MARK: Responses

    func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: value.serialized() + "\n")))
    }

    func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(status, .object(["error": .string(message)]))
    }
}

/// A value, or the error response that refuses the request.
enum Refusable<Value> {
    case ok(Value)
    case refused(Response)
}

/// Runs blocking librdkafka calls off Swift's cooperative pool and NIO's event loops.
enum Blocking {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}

/// Readiness is probed at most once a second; concurrent probes share the answer.
final class ReadinessProbe: @unchecked Sendable {
    typealias Answer = (ok: Bool, details: [String: JSONValue])
    private let lock = NSLock()
    private var last: (at: Date, answer: Answer)?

    func check(_ probe: @escaping @Sendable () -> Answer) async -> Answer {
        if let recent = lock.withLock({ last.flatMap { Date().timeIntervalSince($0.at) < 1 ? $0.answer : nil } }) {
            return recent
        }
        let answer = (try? await Blocking.run(probe)) ?? (false, [:])
        lock.withLock { last = (Date(), answer) }
        return answer
    }
}

/// Compares a presented token with each accepted one in time independent of where they differ.
enum TokenCheck {
    static func matches(_ presented: String, _ tokens: Set<String>) -> Bool {
        var found = false
        let given = Array(presented.utf8)
        for token in tokens {
            let wanted = Array(token.utf8)
            var difference = UInt8(given.count == wanted.count ? 0 : 1)
            for index in 0..<wanted.count { difference |= wanted[index] ^ (index < given.count ? given[index] : 0) }
            if difference == 0 { found = true }
        }
        return found
    }
}

extension Gateway {
    /// The gateway as a service: `start()` (connect, follow the results, bind) when the
    /// group starts it, which fails the group when it cannot (a missing topic, a port in
    /// use); `stop()` on graceful shutdown. `onStarted` gets the bound port.
    public func service(onStarted: @escaping @Sendable (Int) -> Void = { _ in }) -> BlockingService {
        BlockingService.started("gateway", start: { [self] in onStarted(try start()) }, stop: { [self] in stop() })
    }
}
