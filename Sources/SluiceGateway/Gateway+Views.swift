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
    func ready() async -> Response {
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

    func status() async -> Response {
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
}
