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
    let accepted: AcceptedIDs
    /// Requests being handled now (all routes but /healthz).
    let inFlight = LiveCount()
    private var producer: EventProducer?
    private var follower: ResultFollower?
    private var server: HTTPServer?
    private var announcer: RegistryAnnouncer?
    private var readiness: SharedView<ReadinessAnswer>?
    private var statusView: SharedView<Result<JSONValue, StatusFailure>>?

    public init(workflow: Workflow, options: GatewayOptions, logger: Logger = Logger(label: "sluice.gateway")) {
        self.workflow = workflow
        self.options = options
        self.logger = logger
        cache = ResultCache(capacity: options.cacheCapacity)
        dashboard = DashboardState(workflow: workflow, windowSeconds: options.dashboardWindowSeconds)
        intake = EventIntake(
            workflow: workflow, maxEvents: options.maxEventsPerRequest,
            maxRecordBytes: Self.maxRecordBytes(workflow: workflow, properties: options.properties))
        accepted = AcceptedIDs(capacity: options.acceptedIDCapacity)
        config = KafkaConfig(
            bootstrapServers: options.brokers, clientID: "sluice-gateway", properties: options.properties)
    }

    /// The smaller of the producer's `message.max.bytes` (librdkafka's default 1,000,000
    /// unless passed with -X) and the input topic's `max.message.bytes` in the workflow file.
    static func maxRecordBytes(workflow: Workflow, properties: [String: String]) -> Int {
        let producer = properties["message.max.bytes"].flatMap { Int($0) } ?? 1_000_000
        let topic = workflow.topics.first { $0.name == workflow.input }?.config["max.message.bytes"].flatMap {
            Int($0)
        }
        return min(producer, topic ?? Int.max)
    }

    /// Connects to the broker, starts following results, then serves. Returns the bound
    /// port. Throws with the fix when a topic is missing or the port cannot be bound.
    @discardableResult
    public func start() throws -> Int {
        if let refusal = options.bindRefusal { throw GatewayError.unsafeBind(refusal) }
        let producer = try EventProducer(config: config, produceTimeoutMs: options.produceTimeoutMs, logger: logger)
        self.producer = producer
        let follower = ResultFollower(
            workflow: workflow, config: config, cache: cache, dashboard: dashboard, backfill: options.backfill,
            logger: logger)
        try follower.start()
        self.follower = follower
        readiness = SharedView(maxAge: 1, waitsForFresh: true) { [workflow, config, options] in
            Self.probe(workflow: workflow, config: config, options: options, producer: producer, follower: follower)
        }
        let settings = options.registry ?? RegistrySettings()
        statusView = SharedView(maxAge: options.statusRefreshSeconds, waitsForFresh: false) { [workflow, config] in
            Result { () throws(StatusFailure) in
                do {
                    return try StatusReport.read(
                        config: config, topic: settings.topic, workflow: workflow, staleAfterSeconds: 10
                    ).json()
                } catch {
                    throw StatusFailure(description: "\(error)")
                }
            }
        }
        let server = HTTPServer(
            host: options.host, port: options.port, purpose: "the gateway", idleTimeout: options.idleTimeoutSeconds,
            logger: logger
        ) { router in
            // First: it sees every request, also those no route matches (405, 404).
            router.add(middleware: GatewayGuard(gateway: self))
            for route in GatewayRoute.all {
                router.on(RouterPath(route.path), method: route.method) { [self] request, context in
                    await self.respond(route, request, context)
                }
            }
        }
        let port = try server.start()
        self.server = server
        statusView?.prime()
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
        readiness = nil
        statusView = nil
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

    /// Tests: raises a fatal error on the producer in use, as librdkafka would.
    public func raiseProducerFatalErrorForTesting() {
        producer?.producer?.raiseFatalErrorForTesting(reason: "raised by a test")
    }

    /// How many times the producer was replaced after a fatal error.
    public var producerRebuilds: Int { producer?.rebuilds ?? 0 }

    /// How many times `GET /v1/status` read the registry (not once per request).
    public var statusReads: Int { statusView?.builds ?? 0 }

    func respond(_ route: GatewayRoute, _ request: Request, _ context: BasicRequestContext) async -> Response {
        switch route.id {
        case .dashboard:
            let nonce = DashboardPage.nonce()
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/html; charset=utf-8",
                    .contentSecurityPolicy: DashboardPage.contentSecurityPolicy(nonce: nonce),
                    HTTPField.Name("X-Frame-Options")!: "DENY",
                ],
                body: .init(byteBuffer: ByteBuffer(string: DashboardPage.html(workflow: workflow.name, nonce: nonce))))
        case .openapi:
            return json(
                .ok,
                GatewayRoute.openAPIDocument(
                    workflow: workflow.name, authRequired: !options.tokens.isEmpty,
                    maxTextBytes: workflow.limits.maxTextBytes, maxEvents: options.maxEventsPerRequest))
        case .healthz:
            return json(.ok, .object(["status": .string("ok")]))
        case .readyz:
            return await ready()
        case .metrics:
            let seen = follower?.counts ?? (results: 0, deadLetters: 0)
            let text = counters.prometheusText(
                workflow: workflow.name, cached: cache.count, results: seen.results, deadLetters: seen.deadLetters,
                waiting: cache.waiting, timers: ResultPromise.liveTimers, inFlight: inFlight.value,
                producerRebuilds: producerRebuilds)
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

    /// The body, at most `maxBodyBytes` (413), all of it within `bodyTimeoutSeconds` of the
    /// head (408): a client sending a trickle does not hold a handler.
    private func readBody(_ request: Request) async -> Refusable<[UInt8]> {
        let deadline = Date().addingTimeInterval(options.bodyTimeoutSeconds)
        var bytes: [UInt8] = []
        do {
            for try await chunk in request.body {
                guard bytes.count + chunk.readableBytes <= options.maxBodyBytes else {
                    return .refused(
                        self.error(
                            .contentTooLarge,
                            "the body is larger than \(options.maxBodyBytes) bytes: send fewer events per request (see --max-body-bytes)"
                        ))
                }
                bytes += chunk.readableBytesView
                guard Date() < deadline else {
                    var response = self.error(
                        .requestTimeout,
                        "the body did not arrive within \(options.bodyTimeoutSeconds) s of the request head: send it at once"
                    )
                    response.headers[.connection] = "close"
                    return .refused(response)
                }
            }
        } catch {
            return .refused(self.error(.badRequest, "the body could not be read: \(error)"))
        }
        return .ok(bytes)
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
                    error.tooLarge ? .contentTooLarge : error.conflict ? .conflict : .badRequest,
                    .object([
                        "error": .string(
                            error.problems.count == 1
                                ? error.problems[0] : "\(error.problems.count) problems in the request"),
                        "problems": .array(error.problems.map(JSONValue.string)),
                    ])))
        }
    }

    /// What `claim` found: the events to produce, or the answer that refuses the request.
    private func claim(_ events: EventIntake.Accepted) -> Refusable<EventIntake.Accepted> {
        let cache = self.cache
        let claims = accepted.claim(
            Array(zip(events.ids, zip(events.fingerprints, events.contents)).map { ($0, $1.0, $1.1) })
        ) { id in
            guard case .done(let event)? = cache.result(for: id) else { return nil }
            return AcceptedIDs.fingerprint(text: event["text"], data: event["data"], key: nil)
        }
        if let index = claims.firstIndex(of: .conflict) {
            return .refused(
                json(
                    .conflict,
                    .object([
                        "error": .string(
                            "id '\(events.ids[index])' was already used for another event: give this event a new id "
                                + "(or leave 'id' out for a UUID); nothing of this request was produced"),
                        "id": .string(events.ids[index]),
                    ])))
        }
        if let index = claims.firstIndex(of: .inFlight) {
            var response = error(
                .serviceUnavailable,
                "an identical event with id '\(events.ids[index])' is being produced by another request: retry in a second"
            )
            response.headers[.retryAfter] = "1"
            return .refused(response)
        }
        var fresh = events
        fresh.ids = []
        fresh.messages = []
        for (index, claim) in claims.enumerated() where claim == .new {
            fresh.ids.append(events.ids[index])
            fresh.messages.append(events.messages[index])
        }
        return .ok(fresh)
    }

    /// Produces the events `claim` reserved; nil when the broker acknowledged every one.
    private func produce(_ fresh: EventIntake.Accepted) async -> Response? {
        guard !fresh.ids.isEmpty else { return nil }
        guard let producer else { return error(.serviceUnavailable, "the gateway is stopping") }
        cache.markPending(fresh.ids)
        switch await producer.send(fresh.messages) {
        case .success:
            accepted.confirm(fresh.ids)
            counters.accepted(fresh.ids.count)
            return nil
        case .failure(let failure):
            accepted.release(fresh.ids)
            var response: Response
            switch failure {
            case .busy(let why):
                response = error(.serviceUnavailable, "the gateway is at its limit (\(why)): retry in a second")
            case .notAcknowledged(let why, let acknowledged):
                response = error(
                    .serviceUnavailable,
                    "the broker did not acknowledge the events within \(options.produceTimeoutMs) ms (\(why)); "
                        + (acknowledged > 0
                            ? "\(acknowledged) of them were: send the request again as it is, the ids of those are kept"
                            : "send the request again"))
            case .stopped:
                response = error(.serviceUnavailable, "the gateway is stopping")
            }
            response.headers[.retryAfter] = "1"
            return response
        }
    }

    private func post(_ request: Request) async -> Response {
        let events: EventIntake.Accepted
        switch await readEvents(request, single: false) {
        case .ok(let value): events = value
        case .refused(let response): return response
        }
        switch claim(events) {
        case .refused(let response): return response
        case .ok(let fresh): if let failure = await produce(fresh) { return failure }
        }
        return json(
            .accepted,
            .object([
                "ids": .array(events.ids.map(JSONValue.string)), "topic": .string(workflow.input),
                "results": .array(events.ids.map { .string("/v1/events/\($0)") }),
            ]))
    }

    private func predict(_ request: Request) async -> Response {
        var timeout = options.predictTimeoutMs
        if let given = request.uri.queryParameters["timeout_ms"] {
            guard let value = Int(given), value > 0, value <= Int(Int32.max) else {
                return error(
                    .badRequest,
                    "timeout_ms must be a whole number of milliseconds from 1 to \(Int32.max) (at most \(options.maxPredictTimeoutMs) is waited)"
                )
            }
            timeout = min(value, options.maxPredictTimeoutMs)
        }
        let events: EventIntake.Accepted
        switch await readEvents(request, single: true) {
        case .ok(let value): events = value
        case .refused(let response): return response
        }
        guard cache.waiting < options.maxPredictWaiters else {
            var response = error(
                .serviceUnavailable,
                "\(options.maxPredictWaiters) predict calls are already waiting: retry later, or post to /events and poll"
            )
            response.headers[.retryAfter] = "1"
            return response
        }
        let id = events.ids[0]
        let started = Date()
        // Expect before producing: the result may come back before we wait.
        let promise = cache.expect(id)
        switch claim(events) {
        case .refused(let response):
            cache.abandon(promise, for: id)
            return response
        case .ok(let fresh):
            if let failure = await produce(fresh) {
                cache.abandon(promise, for: id)
                return failure
            }
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
        guard let readiness else { return error(.serviceUnavailable, "the gateway is not started") }
        let answer = await readiness.get().value
        return json(
            answer.ok ? .ok : .serviceUnavailable,
            .object(["ready": .bool(answer.ok), "checks": .object(answer.details)]))
    }

    typealias ReadinessAnswer = (ok: Bool, details: [String: JSONValue])

    /// Blocking: the broker answers, the topics exist, the producer is usable (a broken
    /// one is replaced, and reported this once), and the results follower is connected
    /// and not more than `maxFollowerLag` records behind.
    static func probe(
        workflow: Workflow, config: KafkaConfig, options: GatewayOptions, producer: EventProducer,
        follower: ResultFollower
    ) -> ReadinessAnswer {
        var checks: [String: JSONValue] = [:]
        var ok = true
        if let problem = producer.check() {
            checks["producer"] = .string("unusable: \(problem)")
            ok = false
        } else {
            checks["producer"] = .string("ok")
        }
        do {
            let admin = try KafkaAdmin(config: config)
            let listed = Dictionary(
                try admin.listTopics(timeoutMs: 3_000).map { ($0.name, $0.partitions) }, uniquingKeysWith: { $1 })
            checks["broker"] = .string("ok")
            let wanted = Set([workflow.input, workflow.output, workflow.deadLetter] + workflow.stages.map(\.output))
            let missing = wanted.subtracting(listed.keys).sorted()
            checks["topics"] =
                missing.isEmpty
                ? .string("ok") : .string("missing: \(missing.joined(separator: ", ")) (run `sluice topics apply`)")
            ok = ok && missing.isEmpty
            // How far the follower is behind the ends of the topics it reads.
            let positions = follower.positionsSnapshot
            var lag: Int64 = 0
            for topic in [workflow.output, workflow.deadLetter] {
                for partition in listed[topic] ?? [] {
                    let high = try admin.watermarks(topic: topic, partition: partition, timeoutMs: 3_000).high
                    lag += max(0, high - (positions["\(topic)/\(partition)"] ?? high))
                }
            }
            checks["results_lag"] = .int(lag)
            if !follower.isConnected {
                checks["results_follower"] = .string("reconnecting to the output topic")
                ok = false
            } else if lag > options.maxFollowerLag {
                checks["results_follower"] = .string(
                    "\(lag) results not read yet (more than \(options.maxFollowerLag)): results by id lag behind")
                ok = false
            } else {
                checks["results_follower"] = .string("ok")
            }
        } catch {
            checks["broker"] = .string("unreachable: \(error)")
            checks["results_follower"] = .string(follower.isConnected ? "ok" : "reconnecting to the output topic")
            ok = false
        }
        return (ok, checks)
    }

    private func status() async -> Response {
        guard let statusView else { return error(.serviceUnavailable, "the gateway is not started") }
        let (value, at) = await statusView.get()
        switch value {
        case .success(let report):
            var response = json(.ok, report)
            response.headers[.age] = String(max(0, Int(Date().timeIntervalSince(at))))
            return response
        case .failure(let failure):
            var response = error(
                .serviceUnavailable, "cannot read the registry: \(failure.description); retry in a few seconds")
            response.headers[.retryAfter] = String(Int(options.statusRefreshSeconds.rounded(.up)))
            return response
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

/// Why the registry could not be read for `GET /v1/status`.
struct StatusFailure: Error {
    let description: String
}

/// Compares a presented token with each accepted one in time independent of where they differ.
enum TokenCheck {
    /// The scope of the token `presented` matches, if any; every token is compared.
    static func scope(of presented: String, in tokens: [String: TokenScope]) -> TokenScope? {
        var found: TokenScope?
        let given = Array(presented.utf8)
        for (token, scope) in tokens {
            let wanted = Array(token.utf8)
            var difference = UInt8(given.count == wanted.count ? 0 : 1)
            for index in 0..<wanted.count { difference |= wanted[index] ^ (index < given.count ? given[index] : 0) }
            if difference == 0 { found = scope }
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
