import Hummingbird
import SluiceJSON

/// One route of the gateway. The table `GatewayRoute.all` is what the router serves
/// and what `/openapi.json` documents, so the two cannot drift apart.
public struct GatewayRoute: Sendable {
    public enum ID: String, Sendable, CaseIterable {
        case dashboard, openapi, healthz, readyz, metrics, status, dashboardData, postEvents, predict, getEvent
    }

    public let id: ID
    public let method: HTTPRequest.Method
    /// OpenAPI path template; Hummingbird reads the same `{name}` syntax.
    public let path: String
    public let summary: String
    /// Needs a token of scope `write` when the gateway has tokens (the other /v1
    /// routes need one of scope `read`).
    public let writes: Bool
    /// Status code -> description, for the OpenAPI document.
    public let responses: [Int: String]
    public let contentType: String

    public static let all: [GatewayRoute] = [
        GatewayRoute(
            id: .dashboard, method: .get, path: "/",
            summary:
                "The dashboard: the workflow's graph with live figures, alerts, trends, canaries, sentiment and latency (HTML).",
            writes: false, responses: [200: "The dashboard page"], contentType: "text/html"),
        GatewayRoute(
            id: .openapi, method: .get, path: "/openapi.json", summary: "This document.", writes: false,
            responses: [200: "The OpenAPI 3.1 document"], contentType: "application/json"),
        GatewayRoute(
            id: .healthz, method: .get, path: "/healthz", summary: "Liveness: the gateway process answers.",
            writes: false,
            responses: [200: "Alive"], contentType: "application/json"),
        GatewayRoute(
            id: .readyz, method: .get, path: "/readyz",
            summary:
                "Readiness: the broker answers, the workflow's topics exist, the producer is usable and results are followed without lag.",
            writes: false, responses: [200: "Ready", 503: "Not ready; `checks` says what is wrong"],
            contentType: "application/json"),
        GatewayRoute(
            id: .metrics, method: .get, path: "/metrics",
            summary: "The gateway's counters in Prometheus text format 0.0.4.",
            writes: false, responses: [200: "Prometheus exposition"], contentType: "text/plain"),
        GatewayRoute(
            id: .status, method: .get, path: "/v1/status",
            summary: "The registry's view of the workflow: live members per stage, replicas against advice, lag.",
            writes: false,
            responses: [200: "Status document (as `sluice status --json`)", 503: "The broker cannot be read"],
            contentType: "application/json"),
        GatewayRoute(
            id: .dashboardData, method: .get, path: "/v1/dashboard",
            summary:
                "What the dashboard draws: sentiment per label per window, latency samples, and the monitor's figures per stage and hop, alerts, trend windows and canaries.",
            writes: false, responses: [200: "Dashboard data"], contentType: "application/json"),
        GatewayRoute(
            id: .postEvents, method: .post, path: "/v1/workflows/{name}/events",
            summary:
                "Produce one event (a JSON object) or several (an array) to the workflow's input topic; answers once the broker has acknowledged them.",
            writes: true,
            responses: [
                202: "Accepted: the ids to poll with GET /v1/events/{id}",
                400: "Invalid JSON or event; `problems` lists each",
                404: "No workflow of that name here", 413: "Body too large, or an event larger than the broker takes",
                503: "The broker did not acknowledge the events (in --produce-timeout-ms), or cannot be reached",
            ], contentType: "application/json"),
        GatewayRoute(
            id: .predict, method: .post, path: "/v1/workflows/{name}/predict",
            summary:
                "Produce one event and wait for its result on the output topic (`timeout_ms` query, default the gateway's).",
            writes: true,
            responses: [
                200: "The finished event", 400: "Invalid JSON or event",
                404: "No workflow of that name here", 413: "Body too large, or an event larger than the broker takes",
                422: "The event was dead-lettered; `reason` says why",
                503: "The broker did not acknowledge the event, or too many predict calls are waiting",
                504: "No result within the timeout; poll GET /v1/events/{id} later",
            ], contentType: "application/json"),
        GatewayRoute(
            id: .getEvent, method: .get, path: "/v1/events/{id}",
            summary:
                "The finished event once it is out of the output topic, or its dead-letter reason (from a bounded cache of recent results).",
            writes: false,
            responses: [200: "Done or failed: see `status`", 404: "Not seen (yet): `status` is pending or unknown"],
            contentType: "application/json"),
    ]

    /// Every status the route can answer: its own, and the guard's refusals.
    public func allResponses(authRequired: Bool) -> [Int: String] {
        var responses = self.responses
        func add(_ code: Int, _ text: String) {
            responses[code] = responses[code].map { "\($0); or: \(text)" } ?? text
        }
        add(403, "A browser page of an origin not allowed (--allow-origin)")
        add(421, "The Host names no name this gateway answers to (see --public-host)")
        if id != .healthz {
            add(503, "Too many requests at once; see Retry-After")
            add(429, "Past --rate-limit for this client, or too many wrong tokens from this address; see Retry-After")
        }
        if authRequired && needsToken {
            add(401, "Missing or wrong bearer token")
            if writes { add(403, "The token's scope is read, not write") }
        }
        if method == .post {
            add(408, "The body did not arrive in time")
            add(409, "An id already used for another event")
            add(415, "Content-Type is not application/json")
        }
        return responses
    }

    /// Under /v1: needs a token when the gateway has tokens.
    public var needsToken: Bool { path.hasPrefix("/v1/") }

    /// The OpenAPI 3.1 document for `all`.
    /// - Parameters:
    ///   - maxTextBytes: the workflow's `limits.max_text_bytes` (the schema's `maxLength`
    ///     of `text`, in characters: exact for ASCII).
    ///   - maxEvents: most events in one POST.
    public static func openAPIDocument(
        workflow: String, authRequired: Bool, maxTextBytes: Int = 10_000, maxEvents: Int = 1_000
    ) -> JSONValue {
        var paths: [String: [String: JSONValue]] = [:]
        for route in all {
            var operation: [String: JSONValue] = [
                "operationId": .string(route.id.rawValue),
                "summary": .string(route.summary),
                "responses": .object(
                    Dictionary(
                        uniqueKeysWithValues: route.allResponses(authRequired: authRequired).map { code, text in
                            (
                                String(code),
                                JSONValue.object([
                                    "description": .string(text),
                                    "content": .object([route.contentType(for: code): .object([:])]),
                                ])
                            )
                        })),
            ]
            var parameters: [JSONValue] = []
            for name in route.pathParameters {
                // The gateway serves one workflow: any other name is a 404.
                let schema: JSONValue =
                    name == "name"
                    ? .object(["type": .string("string"), "enum": .array([.string(workflow)])])
                    : .object(["type": .string("string"), "minLength": .int(1)])
                parameters.append(
                    .object([
                        "name": .string(name), "in": .string("path"), "required": .bool(true), "schema": schema,
                    ]))
            }
            if route.id == .predict {
                parameters.append(
                    .object([
                        "name": .string("timeout_ms"), "in": .string("query"), "required": .bool(false),
                        "schema": .object([
                            "type": .string("integer"), "minimum": .int(1), "maximum": .int(Int64(Int32.max)),
                        ]),
                    ]))
            }
            if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
            if route.method == .post {
                let single: JSONValue = .object(["$ref": .string("#/components/schemas/Event")])
                let schema: JSONValue =
                    route.id == .predict
                    ? single
                    : .object([
                        "oneOf": .array([
                            single,
                            .object([
                                "type": .string("array"), "items": single, "minItems": .int(1),
                                "maxItems": .int(Int64(maxEvents)),
                            ]),
                        ])
                    ])
                operation["requestBody"] = .object([
                    "required": .bool(true),
                    "content": .object(["application/json": .object(["schema": schema])]),
                ])
            }
            if route.needsToken && authRequired {
                operation["security"] = .array([.object(["bearer": .array([])])])
            }
            paths[route.path, default: [:]][route.method.rawValue.lowercased()] = .object(operation)
        }
        return .object([
            "openapi": .string("3.1.0"),
            "info": .object([
                "title": .string("Sluice gateway: \(workflow)"),
                "version": .string("1"),
                "description": .string("HTTP in front of the Kafka workflow '\(workflow)'."),
            ]),
            "paths": .object(paths.mapValues { .object($0) }),
            "components": .object([
                "schemas": .object([
                    "Event": .object([
                        "type": .string("object"),
                        "required": .array([.string("text")]),
                        "properties": .object([
                            "text": .object([
                                "type": .string("string"), "minLength": .int(1), "pattern": .string("\\S"),
                                "maxLength": .int(Int64(maxTextBytes)),
                                "description": .string(
                                    "Not only white space; at most \(maxTextBytes) bytes of UTF-8 (limits.max_text_bytes)"
                                ),
                            ]),
                            "id": .object([
                                "oneOf": .array([
                                    .object([
                                        "type": .string("string"), "pattern": .string("^[A-Za-z0-9._:-]{1,200}$"),
                                    ]),
                                    .object([
                                        "type": .string("integer"), "minimum": .int(EventIntake.idRange.lowerBound),
                                        "maximum": .int(EventIntake.idRange.upperBound),
                                    ]),
                                    .object(["type": .string("null")]),
                                ]),
                                "description": .string(
                                    "Default (absent or null): a new UUID. Reused with another event: 409"),
                            ]),
                            "key": .object([
                                "type": .string("string"), "description": .string("Record key; default the id"),
                            ]),
                            "data": .object(["type": .string("object"), "description": .string("Carried untouched")]),
                        ]),
                        // Stage results and the fields Sluice sets are not the client's to give.
                        "additionalProperties": .bool(false),
                    ])
                ]),
                "securitySchemes": .object(["bearer": .object(["type": .string("http"), "scheme": .string("bearer")])]),
            ]),
        ])
    }

    /// `{name}` segments of the path.
    public var pathParameters: [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map {
            String($0.dropFirst().dropLast())
        }
    }

    func contentType(for code: Int) -> String { code < 300 ? contentType : "application/json" }
}
