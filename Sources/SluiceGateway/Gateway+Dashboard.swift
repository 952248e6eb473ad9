import SluiceJSON

/// `GET /v1/dashboard`: the gateway's own view of the results (sentiment windows,
/// latency samples) and, from memory, the monitor's (the workflow graph with its
/// figures, alerts, trend windows, canaries) with the registry's live replicas.
extension Gateway {
    func dashboardData() -> JSONValue {
        guard case .object(var fields) = dashboard.json() else { return dashboard.json() }
        let monitor = monitorView.snapshot()
        // The registry as /v1/status last read it; never waits on the broker here.
        let registry: JSONValue? =
            switch statusView?.latest()?.value {
            case .success(let report)?: report
            default: nil
            }
        fields["workflow"] = DashboardWorkflow.json(workflow: workflow, monitor: monitor, registry: registry)
        fields["alerts"] = .object([
            "firing": .array(monitor.firing), "history": .array(monitor.alertHistory),
        ])
        fields["monitor_trends"] = .array(monitor.trends)
        fields["scaling"] = options.scaling?() ?? .null
        fields["monitor"] = .object([
            "following": .bool(monitorFollower?.isConnected ?? false),
            "topics": .array(
                [workflow.monitor.metricsTopic, workflow.monitor.alertsTopic, workflow.monitor.trendsTopic]
                    .compactMap { $0 }.map(JSONValue.string)),
            "records": .int(Int64(monitor.records)),
            "trend_window_s": .int(Int64(workflow.monitor.trendWindowSeconds)),
        ])
        return .object(fields)
    }
}
