/// What the monitor itself did since it started: for its status line and tests.
public struct MonitorCounters: Sendable, Equatable {
    /// Envelopes read from the output topic and recorded.
    public var envelopes = 0
    /// Records on the output topic that did not decode as an envelope.
    public var undecodable = 0
    /// Records read from the dead-letter topic.
    public var deadLetters = 0
    /// Metrics / alert / trend records acknowledged by the broker.
    public var metricsPublished = 0
    public var alertsPublished = 0
    public var trendsPublished = 0
    /// Records the broker refused or that could not be queued.
    public var publishFailures = 0
    /// Completed lag/membership probes, and failed queries within them.
    public var probes = 0
    public var probeFailures = 0
    /// Stage groups whose membership the broker could not describe (replicas unknown).
    public var membershipUnknown: Set<String> = []

    public init() {}
}
