import ArgumentParser
import SluiceRegistry

/// `--no-registry` / `--heartbeat S`: whether and how often a worker or monitor
/// announces itself in the registry topic ($SLUICE_REGISTRY_TOPIC, else sluice-registry).
public struct RegistryOptions: ParsableArguments {
    public init() {}

    @Flag(name: .customLong("no-registry"), help: "Do not announce this process in the registry topic.")
    public var disabled = false

    @Option(name: .customLong("heartbeat"), help: "Seconds between registry heartbeats.")
    public var heartbeatSeconds: Double = 3

    public func validate() throws {
        guard heartbeatSeconds >= 0.1 else { throw ValidationError("--heartbeat must be at least 0.1 seconds") }
    }

    /// nil when disabled.
    public var settings: RegistrySettings? {
        disabled ? nil : RegistrySettings(topic: SluiceEnvironment.registryTopic, heartbeatSeconds: heartbeatSeconds)
    }
}
