import ArgumentParser
import SluiceKafka
import Foundation

/// `--brokers HOST:PORT[,HOST:PORT]`, defaulting to $SLUICE_BROKERS, plus pass-through
/// librdkafka properties (`--property sasl.mechanism=PLAIN`) for a real cluster.
struct BrokerOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Kafka bootstrap servers, HOST:PORT[,HOST:PORT...]. Defaults to $SLUICE_BROKERS.",
            valueName: "host:port"))
    var brokers: String?

    @Option(
        name: [.customLong("property"), .customShort("X")],
        help: ArgumentHelp(
            "A librdkafka property passed as is, e.g. -X security.protocol=SASL_SSL (repeatable).",
            valueName: "name=value"))
    var properties: [String] = []

    /// The brokers given by flag or environment, or nil when neither is set.
    var given: String? {
        if let brokers, !brokers.isEmpty { return brokers }
        if let env = ProcessInfo.processInfo.environment["SLUICE_BROKERS"], !env.isEmpty { return env }
        return nil
    }

    /// The brokers, or an error telling the user how to give them.
    func required() throws -> String {
        guard let given else {
            throw ValidationError(
                "no broker given: pass --brokers HOST:PORT or set SLUICE_BROKERS "
                    + "(start a local one with `sluice broker`)")
        }
        return given
    }

    func extraProperties() throws -> [String: String] {
        var result: [String: String] = [:]
        for item in properties {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw ValidationError("--property '\(item)' must look like name=value")
            }
            result[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        return result
    }

    func validate() throws {
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

extension BrokerOptions {
    /// The given brokers, or else a freshly started embedded broker (which the
    /// caller stops), for commands that can run on their own.
    func givenOrEmbedded(announce: (String) -> Void) throws -> (brokers: String, embedded: EmbeddedBroker?) {
        if let given { return (given, nil) }
        let broker = try EmbeddedBroker()
        announce("started the embedded broker at \(broker.bootstrapServers) (memory only)")
        return (broker.bootstrapServers, broker)
    }
}
