import Foundation
import SluiceKafka
import SluicePipeline
import SluiceRegistry

/// Everything `sluice` (and a stage package's worker executable) takes from its
/// environment. The libraries read none: they take these as arguments, so a program
/// embedding them decides where settings come from.
public enum SluiceEnvironment {
    private static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// `SLUICE_REGISTRY_TOPIC`, else `sluice-registry`.
    public static var registryTopic: String { value("SLUICE_REGISTRY_TOPIC") ?? Registry.defaultTopic }

    /// `SLUICE_CONTROL_TOPIC`, else `sluice-control`.
    public static var controlTopic: String { value("SLUICE_CONTROL_TOPIC") ?? ModelControl.defaultTopic }

    /// `SLUICE_TANSU`: the Tansu binary to run; nil lets the broker look for `.deps/bin/tansu`.
    public static func tansu() throws -> URL? {
        guard let path = value("SLUICE_TANSU") else { return nil }
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw KafkaError(code: .brokerProcess, message: "SLUICE_TANSU=\(path) is not an executable file")
        }
        return URL(fileURLWithPath: path)
    }

    /// Who announces a model (`user@host`), for the control topic's records.
    public static var announcer: String {
        let user = value("USER") ?? value("LOGNAME") ?? (NSUserName().isEmpty ? "unknown" : NSUserName())
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }
}
