import Foundation
import SluiceRegistry

/// How a `WorkflowMonitor` connects and how often it does each part of its work.
public struct MonitorOptions: Sendable {
    public var brokers: String
    /// librdkafka properties passed through to every client (SASL, TLS, ...).
    public var properties: [String: String]
    /// Read the output and dead-letter topics from their start instead of from now.
    /// The monitor never commits offsets (its figures live in memory), so every start
    /// reads from the latest offsets unless this is set.
    public var fromBeginning: Bool
    /// Seconds between ticks: snapshot refresh, alert evaluation, trend windows closing.
    public var tickSeconds: Double
    /// Seconds between metrics records on the metrics topic; nil: the first
    /// (shortest) configured window, e.g. 10 s.
    public var publishSeconds: Double?
    /// Seconds between lag and group-membership queries (on their own thread, so a
    /// slow broker answer never stalls consumption).
    public var probeSeconds: Double
    /// Bound on each admin query of the probe.
    public var probeTimeoutMs: Int
    /// Shown as the client id of the monitor's Kafka clients.
    public var clientID: String
    /// When set, the monitor announces itself in the registry topic while it runs. nil: no registry.
    public var registry: RegistrySettings?

    public init(
        brokers: String, properties: [String: String] = [:], fromBeginning: Bool = false, tickSeconds: Double = 1,
        publishSeconds: Double? = nil, probeSeconds: Double = 3, probeTimeoutMs: Int = 5_000,
        clientID: String = "sluice-monitor", registry: RegistrySettings? = nil
    ) {
        self.registry = registry
        self.brokers = brokers
        self.properties = properties
        self.fromBeginning = fromBeginning
        self.tickSeconds = tickSeconds
        self.publishSeconds = publishSeconds
        self.probeSeconds = probeSeconds
        self.probeTimeoutMs = probeTimeoutMs
        self.clientID = clientID
    }
}
