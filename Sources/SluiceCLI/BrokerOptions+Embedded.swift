import SluiceBroker
import SluiceWorkerMain

extension BrokerOptions {
    /// The given brokers, or else a freshly started embedded broker (which the
    /// caller stops), for commands that can run on their own.
    func givenOrEmbedded(announce: (String) -> Void) throws -> (brokers: String, embedded: EmbeddedBroker?) {
        if let given { return (given, nil) }
        let broker = try EmbeddedBroker(executable: SluiceEnvironment.tansu())
        announce("started the embedded broker at \(broker.bootstrapServers) (memory only)")
        return (broker.bootstrapServers, broker)
    }
}
