import ArgumentParser
import Foundation

/// `--brokers HOST:PORT[,HOST:PORT]`, defaulting to $SLUICE_BROKERS, plus pass-through
/// librdkafka properties (`--property sasl.mechanism=PLAIN`) for a real cluster.
public struct BrokerOptions: ParsableArguments {
    public init() {}

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Kafka bootstrap servers, HOST:PORT[,HOST:PORT...]. Defaults to $SLUICE_BROKERS.",
            valueName: "host:port"))
    public var brokers: String?

    @Option(
        name: [.customLong("property"), .customShort("X")],
        help: ArgumentHelp(
            "A librdkafka property passed as is, e.g. -X security.protocol=SASL_SSL (repeatable).",
            valueName: "name=value"))
    public var properties: [String] = []

    /// The brokers given by flag or environment, or nil when neither is set.
    public var given: String? {
        if let brokers, !brokers.isEmpty { return brokers }
        if let env = ProcessInfo.processInfo.environment["SLUICE_BROKERS"], !env.isEmpty { return env }
        return nil
    }

    /// The brokers, or an error telling the user how to give them.
    public func required() throws -> String {
        guard let given else {
            throw ValidationError(
                "no broker given: pass --brokers HOST:PORT or set SLUICE_BROKERS "
                    + "(start a local one with `sluice broker`)")
        }
        return given
    }

    /// The `-X` properties by name.
    public func extraProperties() throws -> [String: String] {
        var result: [String: String] = [:]
        for item in properties {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw ValidationError("--property '\(item)' must look like name=value")
            }
            result[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        return result
    }

    public func validate() throws {
        if let given {
            for server in given.split(separator: ",") {
                let parts = server.split(separator: ":")
                guard parts.count >= 2, let port = Int(parts.last!), (1...65535).contains(port) else {
                    throw ValidationError("broker address '\(server)' must look like HOST:PORT, e.g. 127.0.0.1:9092")
                }
            }
        }
        _ = try extraProperties()
    }
}
