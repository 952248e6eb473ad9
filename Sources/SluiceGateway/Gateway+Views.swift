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

/// The routes that answer from views kept current in the background: readiness and status.
extension Gateway {
    /// `{"ready": bool}` for anyone (load balancers, orchestrators); the checks behind it,
    /// as reason codes, only with a valid token (any scope) or on a tokenless gateway.
    /// The error texts behind the codes (broker addresses, librdkafka's words) go to the log.
    func ready(_ request: Request) async -> Response {
        guard let readiness else { return error(.serviceUnavailable, "the gateway is not started") }
        let answer = await readiness.get().value
        var body: [String: JSONValue] = ["ready": .bool(answer.ok)]
        if options.tokens.isEmpty || presentedToken(request) != nil { body["checks"] = .object(answer.checks) }
        return json(answer.ok ? .ok : .serviceUnavailable, .object(body))
    }

    /// Each check a reason code (`ok`, `unusable`, `unreachable`, `missing`, `reconnecting`,
    /// `behind`), `results_lag` a count and `missing_topics` the names; `problems` the error
    /// texts, for the log only.
    struct ReadinessAnswer: Sendable {
        var ok = true
        var checks: [String: JSONValue] = [:]
        var problems: [String] = []

        var brokerUnreachable: Bool { checks["broker"] == .string("unreachable") }

        mutating func fail(_ check: String, _ code: String, _ problem: String? = nil) {
            ok = false
            checks[check] = .string(code)
            if let problem { problems.append("\(check) \(code): \(problem)") }
        }
    }

    /// Blocking: the broker answers, the topics exist, the producer is usable (a broken
    /// one is replaced, and reported this once), and the results follower is connected
    /// and not more than `maxFollowerLag` records behind.
    static func probe(
        workflow: Workflow, config: KafkaConfig, options: GatewayOptions, producer: EventProducer,
        follower: ResultFollower
    ) -> ReadinessAnswer {
        var answer = ReadinessAnswer()
        answer.checks["producer"] = .string("ok")
        if let problem = producer.check() { answer.fail("producer", "unusable", problem) }
        do {
            let admin = try KafkaAdmin(config: config)
            let listed = Dictionary(
                try admin.listTopics(timeoutMs: 3_000).map { ($0.name, $0.partitions) }, uniquingKeysWith: { $1 })
            answer.checks["broker"] = .string("ok")
            let wanted = Set([workflow.input, workflow.output, workflow.deadLetter] + workflow.stages.map(\.output))
            let missing = wanted.subtracting(listed.keys).sorted()
            answer.checks["topics"] = .string("ok")
            if !missing.isEmpty {
                answer.fail("topics", "missing", "run `sluice topics apply` for \(missing.joined(separator: ", "))")
                answer.checks["missing_topics"] = .array(missing.map(JSONValue.string))
            }
            // How far the follower is behind the ends of the topics it reads.
            let positions = follower.positionsSnapshot
            var lag: Int64 = 0
            for topic in [workflow.output, workflow.deadLetter] {
                for partition in listed[topic] ?? [] {
                    let high = try admin.watermarks(topic: topic, partition: partition, timeoutMs: 3_000).high
                    lag += max(0, high - (positions["\(topic)/\(partition)"] ?? high))
                }
            }
            answer.checks["results_lag"] = .int(lag)
            answer.checks["results_follower"] = .string("ok")
            if !follower.isConnected {
                answer.fail("results_follower", "reconnecting")
            } else if lag > options.maxFollowerLag {
                answer.fail(
                    "results_follower", "behind", "\(lag) results not read yet (limit \(options.maxFollowerLag))")
            }
        } catch {
            answer.fail("broker", "unreachable", "\(error)")
            answer.checks["results_follower"] = .string(follower.isConnected ? "ok" : "reconnecting")
        }
        return answer
    }

    func status() async -> Response {
        guard let statusView else { return error(.serviceUnavailable, "the gateway is not started") }
        let (value, at) = await statusView.get()
        switch value {
        case .success(let report):
            var response = json(.ok, report)
            response.headers[.age] = String(max(0, Int(Date().timeIntervalSince(at))))
            return response
        case .failure:
            var response = error(
                .serviceUnavailable,
                "cannot read the registry just now (reason: registry-unreadable): retry in a few seconds")
            response.headers[.retryAfter] = String(Int(options.statusRefreshSeconds.rounded(.up)))
            return response
        }
    }
}
