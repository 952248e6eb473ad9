/// Settings every client shares. Field names are Swift; underneath they are
/// librdkafka property names (CONFIGURATION.md), and `properties` passes
/// anything else straight through (SASL, TLS, debug, ...), overriding the fields.
public struct KafkaConfig: Sendable {
    /// `bootstrap.servers`, e.g. "127.0.0.1:9092".
    public var bootstrapServers: String
    /// `client.id`
    public var clientID: String
    /// Extra librdkafka properties, applied last.
    public var properties: [String: String]

    public init(bootstrapServers: String, clientID: String = "sluice", properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.properties = properties
    }

    /// The librdkafka properties these fields stand for.
    public var librdkafkaProperties: [String: String] {
        var result = [
            "bootstrap.servers": bootstrapServers,
            "client.id": clientID,
        ]
        result.merge(properties) { _, passedThrough in passedThrough }
        return result
    }
}
