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
    let hosts: HostAllowList
    let tokens: GatewayTokens
    let limits: ClientLimits
    /// One line per request (`GatewayOptions.accessLog`); nil: none.
    let accessLog: Logger?
    /// Requests being handled now (all routes but /healthz).
    let inFlight = LiveCount()
    var producer: EventProducer?
    var follower: ResultFollower?
    /// The monitor's metrics, alerts and trends, for the dashboard.
    let monitorView = MonitorView()
    var monitorFollower: MonitorFollower?
    private var server: HTTPServer?
    private var announcer: RegistryAnnouncer?
    var readiness: SharedView<ReadinessAnswer>?
    var statusView: SharedView<Result<JSONValue, StatusFailure>>?

    public init(workflow: Workflow, options: GatewayOptions, logger: Logger = Logger(label: "sluice.gateway")) {
        self.workflow = workflow
        self.options = options
        self.logger = logger
        cache = ResultCache(capacity: options.cacheCapacity, maxBytes: options.cacheBytes)
        dashboard = DashboardState(workflow: workflow, windowSeconds: options.dashboardWindowSeconds)
        intake = EventIntake(
            workflow: workflow, maxEvents: options.maxEventsPerRequest,
            maxRecordBytes: Self.maxRecordBytes(workflow: workflow, properties: options.properties))
        accepted = AcceptedIDs(capacity: options.acceptedIDCapacity)
        hosts = options.hostAllowList
        tokens = GatewayTokens(options.tokens)
        limits = ClientLimits(rate: options.rateLimit)
        accessLog = options.accessLog ? Logger(label: "sluice.gateway.access") : nil
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
        try options.tls?.check(purpose: "the gateway")
        let producer = try EventProducer(config: config, produceTimeoutMs: options.produceTimeoutMs, logger: logger)
        self.producer = producer
        let follower = ResultFollower(
            workflow: workflow, config: config, cache: cache, dashboard: dashboard, backfill: options.backfill,
            logger: logger)
        try follower.start()
        self.follower = follower
        monitorFollower = MonitorFollower(workflow: workflow, config: config, view: monitorView, logger: logger)
        monitorFollower?.start()
        let readinessLog = ChangeLog(logger: logger, subject: "readiness")
        readiness = SharedView(maxAge: 1, waitsForFresh: true) { [workflow, config, options] in
            let answer = Self.probe(
                workflow: workflow, config: config, options: options, producer: producer, follower: follower)
            readinessLog.note(answer.problems)
            return answer
        }
        let settings = options.registry ?? RegistrySettings()
        let statusLog = ChangeLog(logger: logger, subject: "GET /v1/status: reading the registry")
        statusView = SharedView(maxAge: options.statusRefreshSeconds, waitsForFresh: false) { [workflow, config] in
            let report = Result { () throws(StatusFailure) in
                do {
                    return try StatusReport.read(
                        config: config, topic: settings.topic, workflow: workflow, staleAfterSeconds: 10
                    ).json()
                } catch {
                    throw StatusFailure(description: "\(error)")
                }
            }
            if case .failure(let failure) = report { statusLog.note([failure.description]) } else { statusLog.note([]) }
            return report
        }
        let server = HTTPServer(
            host: options.host, port: options.port, purpose: "the gateway", idleTimeout: options.idleTimeoutSeconds,
            tls: options.tls, logger: logger
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
        let scheme = options.tls == nil ? "http" : "https"
        logger.info("gateway for \(workflow.name) at \(scheme)://\(options.host):\(port)/ (dashboard), API under /v1")
        return port
    }

    public var port: Int? { server?.port }

    public func stop() {
        server?.stop()
        announcer?.stop()
        follower?.stop()
        monitorFollower?.stop()
        producer?.close()
        readiness = nil
        statusView = nil
        server = nil
        announcer = nil
        follower = nil
        monitorFollower = nil
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

    func respond(_ route: GatewayRoute, _ request: Request, _ context: PeerRequestContext) async -> Response {
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
            return await ready(request)
        case .metrics:
            let seen = follower?.counts ?? (results: 0, deadLetters: 0)
            let text = counters.prometheusText(
                workflow: workflow.name, cached: cache.count, cachedBytes: cache.bytes, results: seen.results,
                deadLetters: seen.deadLetters,
                waiting: cache.waiting, timers: ResultPromise.liveTimers, inFlight: inFlight.value,
                producerRebuilds: producerRebuilds)
            return Response(
                status: .ok, headers: [.contentType: PrometheusContentType.value],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        case .status:
            return await status()
        case .dashboardData:
            return json(.ok, dashboardData())
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

extension Gateway {
    /// The gateway as a service: `start()` (connect, follow the results, bind) when the
    /// group starts it, which fails the group when it cannot (a missing topic, a port in
    /// use); `stop()` on graceful shutdown. `onStarted` gets the bound port.
    public func service(onStarted: @escaping @Sendable (Int) -> Void = { _ in }) -> BlockingService {
        BlockingService.started("gateway", start: { [self] in onStarted(try start()) }, stop: { [self] in stop() })
    }
}
