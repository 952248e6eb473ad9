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

/// The POST routes: the body read within its bounds, the events checked, their ids claimed,
/// then produced (and, for predict, the result awaited).
extension Gateway {
    /// The body, at most `maxBodyBytes` (413), all of it within `bodyTimeoutSeconds` of the
    /// head (408): a client sending a trickle does not hold a handler.
    func readBody(_ request: Request) async -> Refusable<[UInt8]> {
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
            logger.debug("a request body could not be read: \(error)")
            return .refused(self.error(.badRequest, "the body could not be read to its end: send it again"))
        }
        return .ok(bytes)
    }

    func readEvents(_ request: Request, single: Bool) async -> Refusable<EventIntake.Accepted> {
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
    func claim(_ events: EventIntake.Accepted) -> Refusable<EventIntake.Accepted> {
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

    /// 503 at once while the last readiness probe found the broker unreachable, rather than
    /// holding the request (and a slot) for the whole produce timeout. Each refusal asks
    /// for a new probe (at most one a second), so the first one that reaches the broker
    /// lets posts through again. Probes start from /readyz and from a produce that timed out.
    func brokerDownRefusal() -> Response? {
        guard let readiness, let (answer, _) = readiness.peek(), answer.brokerUnreachable else { return nil }
        _ = readiness.latest()
        var response = error(
            .serviceUnavailable,
            "the broker cannot be reached just now (reason: broker-unavailable): nothing was produced; retry in a few seconds"
        )
        response.headers[.retryAfter] = "2"
        return response
    }

    /// Produces the events `claim` reserved; nil when the broker acknowledged every one.
    func produce(_ fresh: EventIntake.Accepted) async -> Response? {
        guard !fresh.ids.isEmpty else { return nil }
        guard let producer else { return error(.serviceUnavailable, "the gateway is stopping") }
        if let refusal = brokerDownRefusal() {
            accepted.release(fresh.ids)
            return refusal
        }
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
                logger.warning("POST refused, the producer is at its limit: \(why)")
                response = error(.serviceUnavailable, "the gateway is at its limit (reason: busy): retry in a second")
            case .notAcknowledged(let why, let acknowledged):
                _ = readiness?.latest()  // is the broker gone? Later posts are refused at once if so
                logger.warning("POST refused, \(acknowledged) of \(fresh.ids.count) events acknowledged: \(why)")
                response = error(
                    .serviceUnavailable,
                    "the broker did not acknowledge the events within \(options.produceTimeoutMs) ms "
                        + "(reason: not-acknowledged); "
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

    func post(_ request: Request) async -> Response {
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

    func predict(_ request: Request) async -> Response {
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
}
