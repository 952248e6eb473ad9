import Foundation
import SluiceMonitor

/// The gateway's own figures for `/metrics`. Thread-safe.
final class GatewayCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [String: Int64] = [:]
    private var accepted: Int64 = 0
    private var predictTimeouts: Int64 = 0
    private var predictSeconds: Double = 0
    private var predictCount: Int64 = 0

    /// `route`: a route id, or "unmatched".
    func request(_ route: String, status: Int) {
        lock.lock()
        requests["\(route) \(status)", default: 0] += 1
        lock.unlock()
    }

    func accepted(_ count: Int) {
        lock.lock()
        accepted += Int64(count)
        lock.unlock()
    }

    func predicted(seconds: Double, timedOut: Bool) {
        lock.lock()
        if timedOut {
            predictTimeouts += 1
        } else {
            predictSeconds += seconds
            predictCount += 1
        }
        lock.unlock()
    }

    func prometheusText(
        workflow: String, cached: Int, cachedBytes: Int, results: Int, deadLetters: Int, waiting: Int, timers: Int,
        inFlight: Int,
        producerRebuilds: Int
    ) -> String {
        lock.lock()
        defer { lock.unlock() }
        var out = PrometheusWriter()
        let wf = ("workflow", workflow)
        out.family(
            "sluice_gateway_requests_total", type: "counter", help: "HTTP requests answered, by route and status code.")
        for (key, count) in requests.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: " ")
            out.sample(
                "sluice_gateway_requests_total", [wf, ("route", String(parts[0])), ("code", String(parts[1]))], count)
        }
        out.family(
            "sluice_gateway_events_accepted_total", type: "counter",
            help: "Events produced to the input topic and acknowledged.")
        out.sample("sluice_gateway_events_accepted_total", [wf], accepted)
        out.family(
            "sluice_gateway_predict_seconds", type: "summary",
            help: "Time from request to result of answered predict calls.")
        out.sample("sluice_gateway_predict_seconds_sum", [wf], predictSeconds)
        out.sample("sluice_gateway_predict_seconds_count", [wf], predictCount)
        out.family("sluice_gateway_predict_timeouts_total", type: "counter", help: "Predict calls answered 504.")
        out.sample("sluice_gateway_predict_timeouts_total", [wf], predictTimeouts)
        out.family("sluice_gateway_results_cached", type: "gauge", help: "Results held for GET /v1/events/{id}.")
        out.sample("sluice_gateway_results_cached", [wf], Int64(cached))
        out.family(
            "sluice_gateway_results_cached_bytes", type: "gauge",
            help: "Estimated memory of the results held (bounded by --result-cache-bytes).")
        out.sample("sluice_gateway_results_cached_bytes", [wf], Int64(cachedBytes))
        out.family("sluice_gateway_results_seen_total", type: "counter", help: "Records read from the output topic.")
        out.sample("sluice_gateway_results_seen_total", [wf], Int64(results))
        out.family(
            "sluice_gateway_dead_letters_seen_total", type: "counter", help: "Records read from the dead-letter topic.")
        out.sample("sluice_gateway_dead_letters_seen_total", [wf], Int64(deadLetters))
        out.family("sluice_gateway_predict_waiting", type: "gauge", help: "Predict calls waiting for their result.")
        out.sample("sluice_gateway_predict_waiting", [wf], Int64(waiting))
        out.family(
            "sluice_gateway_predict_timers", type: "gauge",
            help: "Predict timeout timers alive (cancelled once a result answers the call).")
        out.sample("sluice_gateway_predict_timers", [wf], Int64(timers))
        out.family("sluice_gateway_requests_in_flight", type: "gauge", help: "Requests being handled now.")
        out.sample("sluice_gateway_requests_in_flight", [wf], Int64(inFlight))
        out.family(
            "sluice_gateway_producer_rebuilds_total", type: "counter",
            help: "Producers replaced after a fatal librdkafka error.")
        out.sample("sluice_gateway_producer_rebuilds_total", [wf], Int64(producerRebuilds))
        return out.text
    }
}
