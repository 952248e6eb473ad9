import ArgumentParser
import Foundation
import Logging
import SluiceBroker
import SluiceKafka
import SluiceLifecycle
import SluiceWorkerMain

/// `sluice broker`: a local Tansu broker for development, until Ctrl-C.
struct BrokerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run a local Kafka broker (Tansu, in memory) until Ctrl-C.",
        discussion: """
            Starts the embedded Tansu broker (.deps/bin/tansu, or $SLUICE_TANSU) on 127.0.0.1, \
            prints its bootstrap address once it answers Kafka requests, and runs until Ctrl-C \
            or SIGTERM, then stops it cleanly.

            The broker keeps everything in memory: stopping or restarting it loses every topic \
            and record. Run `sluice topics apply FILE` again after a restart.
            """)

    @Option(help: "Port to listen on (default: a free one).") var port: Int?

    func validate() throws {
        if let port, !(1...65535).contains(port) { throw ValidationError("--port must be within 1...65535") }
    }

    func run() throws {
        let broker = try EmbeddedBroker(executable: SluiceEnvironment.tansu(), port: port)
        print("Kafka broker (Tansu, in memory) ready at \(broker.bootstrapServers)")
        print("  export SLUICE_BROKERS=\(broker.bootstrapServers)")
        print("  log: \(broker.logFile.path)")
        print("Ctrl-C stops it (topics and records are lost).")
        fflush(nil)
        let shutdown = ServiceRunner.alongside(logger: Logger(label: "sluice.broker"))
        defer { shutdown.finish() }
        while !shutdown.stop.wait(seconds: 1) {
            if !broker.isRunning {
                throw CLIError("the broker exited on its own; see its log \(broker.logFile.path)")
            }
        }
        printError("stopping the broker...")
        broker.stop()
        print("broker stopped")
    }
}
