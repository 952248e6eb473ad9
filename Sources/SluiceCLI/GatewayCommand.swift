import ArgumentParser
import Foundation
import Logging
import SluiceGateway
import SluiceLifecycle
import SluiceRegistry
import SluiceWorkerMain
import SluiceWorkflow

/// `sluice gateway`: HTTP in front of a running workflow.
struct GatewayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Serve a workflow over HTTP: post events, fetch results, predict, status and a live dashboard.",
        discussion: """
            Routes (the OpenAPI document is at /openapi.json):
              POST /v1/workflows/NAME/events   {"text": ...} or an array: 202 + ids
              POST /v1/workflows/NAME/predict  one event, waits: 200, 422 or 504
              GET  /v1/events/ID               result, dead-letter reason, or 404
              GET  /v1/status                  as `sluice status --json`
              GET  /v1/dashboard               the dashboard's data
              GET  /healthz, /readyz, /metrics
              GET  /                           the dashboard

            Events are answered 202 only once the broker has acknowledged them. Results are kept \
            in a bounded cache fed by reading the output and dead-letter topics (--cache-size), \
            including the last --backfill records per partition from before the gateway started.
            With --token or --tokens-file, the POST routes need 'Authorization: Bearer TOKEN'.
            The gateway binds to 127.0.0.1 unless --host says otherwise.
            """)

    @Option(name: .long, help: "The workflow file whose input the gateway feeds and whose output it reads.")
    var workflow: String

    @OptionGroup var broker: BrokerOptions

    @Option(name: .long, help: "Address to listen on (0.0.0.0 for every interface).") var host = "127.0.0.1"
    @Option(name: .long, help: "Port to listen on (0: any free port, printed at start).") var port = 8080
    @Option(name: .customLong("token"), help: "A bearer token accepted on the POST routes (repeatable).")
    var tokens: [String] = []
    @Option(
        name: .customLong("tokens-file"), help: "A file of accepted bearer tokens, one per line ('#' starts a comment)."
    )
    var tokensFile: String?
    @Option(name: .customLong("predict-timeout-ms"), help: "How long predict waits for a result by default.")
    var predictTimeoutMs = 10_000
    @Option(name: .customLong("max-body-bytes"), help: "Largest request body accepted (larger: 413).")
    var maxBodyBytes = 1 << 20
    @Option(name: .customLong("max-events"), help: "Most events in one POST.") var maxEvents = 1_000
    @Option(name: .customLong("cache-size"), help: "Results kept for GET /v1/events/ID.") var cacheSize = 10_000
    @Option(name: .long, help: "Records per partition of the output topic read back at start.") var backfill = 1_000

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard predictTimeoutMs > 0 else { throw ValidationError("--predict-timeout-ms must be positive") }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
        guard maxEvents > 0, cacheSize > 0, backfill >= 0 else {
            throw ValidationError("--max-events and --cache-size must be positive, --backfill zero or more")
        }
        for token in tokens where token.isEmpty || token.contains(where: \.isWhitespace) {
            throw ValidationError("--token values must be non-empty and contain no spaces")
        }
    }

    static func readTokens(_ path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CLIError("cannot read the tokens file '\(path)': give a readable file with one token per line")
        }
        let tokens = text.split(whereSeparator: \.isNewline)
            .map {
                $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard !tokens.isEmpty else {
            throw CLIError("the tokens file '\(path)' holds no token: put one token per line")
        }
        return tokens
    }

    func run() throws {
        let spec = try Workflow.load(path: workflow)
        var options = GatewayOptions(brokers: try broker.required(), properties: try broker.extraProperties())
        options.host = host
        options.registry = RegistrySettings(topic: SluiceEnvironment.registryTopic)
        options.port = port
        options.tokens = Set(tokens + (try tokensFile.map(Self.readTokens) ?? []))
        options.predictTimeoutMs = predictTimeoutMs
        options.maxBodyBytes = maxBodyBytes
        options.maxEventsPerRequest = maxEvents
        options.cacheCapacity = cacheSize
        options.backfill = backfill
        let logger = Logger(label: "sluice.gateway")
        let gateway = Gateway(workflow: spec, options: options, logger: logger)
        let (name, host, guarded) = (spec.name, host, !options.tokens.isEmpty)
        try ServiceRunner.runBlocking(
            [
                gateway.service { bound in
                    print(
                        "gateway for \(name): http://\(host):\(bound)/ (dashboard), API under /v1, "
                            + "OpenAPI at /openapi.json\(guarded ? "; POST routes need a bearer token" : "")")
                    fflush(nil)
                }
            ], logger: logger)
    }
}
