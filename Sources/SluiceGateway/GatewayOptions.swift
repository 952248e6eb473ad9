import SluiceRegistry

/// How a gateway runs. Defaults suit one machine; `sluice gateway --help` explains each.
public struct GatewayOptions: Sendable {
    public var brokers: String
    /// librdkafka properties passed through (SASL, TLS, ...).
    public var properties: [String: String]
    public var host: String = "127.0.0.1"
    /// 0 = any free port (tests).
    public var port: Int = 8080
    /// Bearer tokens accepted on the write routes; empty = no auth.
    public var tokens: Set<String> = []
    public var maxBodyBytes: Int = 1 << 20
    public var maxEventsPerRequest: Int = 1_000
    /// How long `predict` waits for the result by default, and at most.
    public var predictTimeoutMs: Int = 10_000
    public var maxPredictTimeoutMs: Int = 60_000
    /// Results kept for `GET /v1/events/{id}`.
    public var cacheCapacity: Int = 10_000
    /// Records per partition read back from before the gateway started, so results of
    /// recent events stay answerable across a gateway restart.
    public var backfill: Int = 1_000
    /// Seconds per trend window on the dashboard.
    public var dashboardWindowSeconds: Int = 5
    /// Announce the gateway in the registry (nil: do not).
    public var registry: RegistrySettings? = RegistrySettings()

    public init(brokers: String, properties: [String: String] = [:]) {
        self.brokers = brokers
        self.properties = properties
    }
}
