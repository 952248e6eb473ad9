import Foundation
import SluiceRegistry

/// How one worker process connects and names itself.
public struct WorkerOptions: Sendable {
    public var brokers: String
    /// librdkafka properties passed through to every client (SASL, TLS, ...).
    public var properties: [String: String]
    /// Shown in hops and logs: `host:pid` unless given.
    public var workerID: String
    /// exactly-once only: a stable name for this worker's slot. A worker restarted
    /// with the same instance fences its predecessor and aborts its open
    /// transaction at once; without one, an abandoned transaction is aborted by
    /// the broker after `transactionTimeoutMs`.
    public var instance: String?
    public var transactionTimeoutMs: Int
    /// How long a poll waits when nothing arrives, which bounds how fast `stop()` is noticed.
    public var idlePollMs: Int
    /// When set, the worker announces itself in the registry topic while `run()`
    /// runs (heartbeats) and deletes its record when it returns. nil: no registry.
    public var registry: RegistrySettings?
    /// When set, a stage with a head follows this control topic (`ModelControl`) and
    /// switches heads between batches as they are deployed. nil: it keeps the file's head.
    public var controlTopic: String?
    /// At-least-once stages: batches whose outputs may wait for acknowledgements while the
    /// next one is polled and run (1: strictly one batch at a time). Exactly-once: always 1.
    public var batchesInFlight: Int
    /// Batches whose step may run at once; nil: what the stage says (`Stage.concurrentBatches`).
    /// Exactly-once: always 1. The environment's `SLUICE_CONCURRENT_BATCHES` sets it, for
    /// comparing runs (docs/benchmarks/cpu-budget.md).
    public var concurrentBatches: Int?

    public init(
        brokers: String, properties: [String: String] = [:], workerID: String = WorkerOptions.defaultWorkerID(),
        instance: String? = nil, transactionTimeoutMs: Int = 15_000, idlePollMs: Int = 100,
        registry: RegistrySettings? = nil, controlTopic: String? = nil, batchesInFlight: Int = 2,
        concurrentBatches: Int? = WorkerOptions.concurrentBatchesFromEnvironment()
    ) {
        self.concurrentBatches = concurrentBatches
        self.batchesInFlight = batchesInFlight
        self.registry = registry
        self.controlTopic = controlTopic
        self.brokers = brokers
        self.properties = properties
        self.workerID = workerID
        self.instance = instance
        self.transactionTimeoutMs = transactionTimeoutMs
        self.idlePollMs = idlePollMs
    }

    /// `SLUICE_CONCURRENT_BATCHES` as a positive number; nil when unset or not one.
    public static func concurrentBatchesFromEnvironment() -> Int? {
        ProcessInfo.processInfo.environment["SLUICE_CONCURRENT_BATCHES"].flatMap { Int($0) }.flatMap {
            $0 > 0 ? $0 : nil
        }
    }

    public static func defaultWorkerID() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }
}
