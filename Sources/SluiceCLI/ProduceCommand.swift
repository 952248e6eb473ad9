import ArgumentParser
import Foundation
import Logging
import SluiceEvents
import SluiceJSON
import SluiceKafka
import SluiceLifecycle
import SluiceML

/// `sluice produce`: JSON lines or CSV rows from a file or stdin onto a topic.
struct ProduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Produce JSON lines (or CSV rows) from a file or stdin to a topic.",
        discussion: """
            Each JSON object is stamped as the gateway stamps an event: an `id` (a UUID) and a \
            `created_at` (epoch microseconds) when it has none (an integer id becomes a string), trace \
            and CloudEvents headers, and it is keyed by its `id` (see --key-field). Lines that are not JSON objects are sent \
            unchanged and counted: a workflow sends them to its dead-letter topic. Empty lines are skipped.
            With --csv, the first row names the columns and each further row becomes a JSON object of \
            its columns (strings), the --text-column renamed to `text`.
            Waits for every delivery report and exits non-zero if any record was not delivered.
            """)

    @Option(help: "The topic to produce to (it must exist).") var topic: String
    @Argument(help: "Input file; stdin when omitted or '-'.") var file: String?
    @Flag(help: "Read CSV with a header row instead of JSON lines.") var csv = false
    @Option(help: "With --csv: the column that becomes `text`.") var textColumn = "text"
    @Option(help: ArgumentHelp("Records per second at most (steady pace), e.g. 200 or 200/s.", valueName: "N/s"))
    var rate: String?
    @Option(help: "The field whose value is the record key.") var keyField = "id"
    @OptionGroup var broker: BrokerOptions

    func validate() throws {
        if let rate, parsedRate(rate) == nil {
            throw ValidationError("--rate '\(rate)' must be a positive number of records per second, e.g. 200 or 200/s")
        }
    }

    private func parsedRate(_ text: String) -> Double? {
        let number = text.hasSuffix("/s") ? String(text.dropLast(2)) : text
        guard let value = Double(number), value > 0, value.isFinite else { return nil }
        return value
    }

    func run() throws {
        let config = try broker.kafkaConfig(clientID: "sluice-produce")
        let admin = try KafkaAdmin(config: config)
        _ = try existingPartitions(admin: admin, topic: topic)
        let input: UnsafeMutablePointer<FILE>
        if let file, file != "-" {
            guard let opened = fopen(file, "r") else {
                throw CLIError("cannot open '\(file)': \(String(cString: strerror(errno)))")
            }
            input = opened
        } else {
            guard let standardInput = fdopen(STDIN_FILENO, "r") else { throw CLIError("cannot read stdin") }
            input = standardInput
        }
        defer { fclose(input) }

        let producer = try KafkaProducer(config: KafkaProducerConfig(common: config))
        let stats = DeliveryStats()
        let shutdown = ServiceRunner.alongside(logger: Logger(label: "sluice.produce"))
        defer { shutdown.finish() }
        let stop = shutdown.stop
        let bucket = rate.flatMap(parsedRate).map { TokenBucket(ratePerSecond: $0) }
        let progress = ProgressLine(enabled: isatty(STDERR_FILENO) == 1)
        let started = Date()
        var sent = 0
        var notObjects = 0

        func send(_ line: [UInt8]) throws {
            var key: [UInt8]?
            var value = line
            var headers: [KafkaHeader] = []
            if case .object(let fields)? = try? JSONValue.parse(line) {
                let event = EventStamp.stamp(fields, entry: "produce")
                switch event.fields[keyField] {
                case .string(let text)?: key = Array(text.utf8)
                case let other?: key = Array(other.serialized().utf8)
                case nil: key = nil
                }
                value = event.value
                headers = event.headers.map { KafkaHeader(key: $0.key, value: $0.value) }
            } else {
                notObjects += 1
            }
            bucket?.take()
            try producer.enqueue(
                KafkaProducerMessage(topic: topic, key: key, value: value, headers: headers),
                waitingForSpaceUpToMs: 60_000
            ) { stats.record($0) }
            sent += 1
            progress.update { stats.line(sent: sent, since: started) }
        }

        if csv {
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = fread(&buffer, 1, buffer.count, input)
                if count <= 0 { break }
                bytes.append(contentsOf: buffer[0..<count])
            }
            let rows = TweetCorpus.parseCSV(bytes)
            guard let header = rows.first else { throw CLIError("the CSV input is empty: it needs a header row") }
            let names = header.map { TweetCorpus.decode($0).text.trimmingCharacters(in: .whitespaces) }
            guard names.contains(textColumn) else {
                throw CLIError(
                    "the CSV header has no column '\(textColumn)' (it has \(names.joined(separator: ", "))); "
                        + "name the text column with --text-column")
            }
            for row in rows.dropFirst() where !stop.isSet {
                var fields: [String: JSONValue] = [:]
                for (index, cell) in row.enumerated() where index < names.count {
                    let name = names[index] == textColumn ? "text" : names[index]
                    fields[name] = .string(TweetCorpus.decode(cell).text)
                }
                try send(Array(JSONValue.object(fields).serialized().utf8))
            }
        } else {
            var linePointer: UnsafeMutablePointer<CChar>?
            var capacity = 0
            defer { free(linePointer) }
            while !stop.isSet {
                let length = getline(&linePointer, &capacity, input)
                if length < 0 { break }
                var line = UnsafeRawBufferPointer(start: linePointer, count: length).map { $0 }
                while let last = line.last, last == 0x0A || last == 0x0D { line.removeLast() }
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                try send(line)
            }
        }

        progress.update(force: true) { stats.line(sent: sent, since: started) + " (waiting for delivery reports)" }
        try producer.flush(timeoutMs: 120_000)
        producer.close()
        progress.finish()
        let seconds = Date().timeIntervalSince(started)
        let (acked, failed, firstError) = stats.snapshot()
        printError(
            "produced \(sent) records to \(topic) in \(String(format: "%.1f", seconds)) s "
                + "(\(Int((Double(sent) / max(seconds, 1e-3)).rounded())) records/s): \(acked) acked, \(failed) failed"
                + (stop.isSet ? " (stopped early by signal)" : ""))
        if notObjects > 0 {
            printError(
                "\(notObjects) lines were not JSON objects; the workflow will send them to its dead-letter topic")
        }
        if failed > 0 || acked + failed < sent {
            let unreported = sent - acked - failed
            throw CLIError(
                "\(failed + unreported) of \(sent) records were not delivered"
                    + (firstError.map { " (first error: \($0))" } ?? "")
                    + "; check that the broker is up and the topic exists, then produce them again")
        }
    }
}

/// Counts delivery reports (they arrive on the producer's poll thread).
private final class DeliveryStats: @unchecked Sendable {
    private let lock = NSLock()
    private var acked = 0
    private var failed = 0
    private var firstError: String?

    func record(_ report: KafkaDeliveryReport) {
        lock.lock()
        defer { lock.unlock() }
        if let error = report.error {
            failed += 1
            if firstError == nil { firstError = "\(error)" }
        } else {
            acked += 1
        }
    }

    func snapshot() -> (acked: Int, failed: Int, firstError: String?) {
        lock.lock()
        defer { lock.unlock() }
        return (acked, failed, firstError)
    }

    func line(sent: Int, since started: Date) -> String {
        let (acked, failed, _) = snapshot()
        let rate = Double(sent) / max(Date().timeIntervalSince(started), 1e-3)
        return "sent \(sent), \(Int(rate.rounded())) records/s, acked \(acked)"
            + (failed > 0 ? ", failed \(failed)" : "")
    }
}

/// A steady pace: one token per 1/rate s, at most a tenth of a second's worth banked.
private final class TokenBucket {
    private let rate: Double
    private let capacity: Double
    private var tokens: Double
    private var last = DispatchTime.now().uptimeNanoseconds

    init(ratePerSecond: Double) {
        rate = ratePerSecond
        capacity = max(1, ratePerSecond / 10)
        tokens = 1
    }

    func take() {
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            tokens = min(capacity, tokens + Double(now - last) / 1e9 * rate)
            last = now
            if tokens >= 1 {
                tokens -= 1
                return
            }
            Thread.sleep(forTimeInterval: (1 - tokens) / rate)
        }
    }
}

/// A progress line on stderr, rewritten in place at most four times a second; only on a TTY.
final class ProgressLine {
    private let enabled: Bool
    private var lastDrawn: UInt64 = 0
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(force: Bool = false, _ text: () -> String) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard force || now - lastDrawn >= 250_000_000 else { return }
        lastDrawn = now
        drawn = true
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text()).utf8))
    }

    func finish() {
        if enabled && drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
