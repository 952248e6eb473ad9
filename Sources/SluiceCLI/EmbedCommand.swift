import ArgumentParser
import Foundation
import SluiceJSON
import SluiceML
import SluiceWorkerMain

/// `sluice embed`: texts on stdin (plain lines, or JSON lines with a "text"
/// field), one JSON line out per input with its "embedding" (and "input_ids").
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed", abstract: "Embed texts from stdin with all-MiniLM-L6-v2, as JSON lines.",
        discussion: EncoderOptions.environmentHelp)

    @Option(help: "Texts per forward pass.") var batch = 32
    @Option(help: "Model directory (default: SLUICE_MODEL_DIR or .deps/model).") var model: String?
    @Flag(help: "Also write the input_ids.") var ids = false
    @Option(
        help: ArgumentHelp(
            "The encoder's precision: fp32 (the reference), bf16, int8, or auto (the fastest within the accuracy "
                + "budget on this CPU).", valueName: "precision"))
    var precision: Precision = .fp32

    func run() throws {
        var options = EncoderOptions.fromEnvironment()
        options.precision = precision
        let encoder = try MiniLMEncoder(modelDirectory: model, options: options)
        if precision != .fp32 || encoder.precision.fallback != nil {
            let note = encoder.precision.fallback.map { "; \($0)" } ?? ""
            FileHandle.standardError.write(Data("sluice embed: precision \(encoder.precision)\(note)\n".utf8))
        }
        var pending: [String] = []
        func flush() throws {
            guard !pending.isEmpty else { return }
            let vectors = try encoder.embed(pending)
            var out = ""
            for (text, v) in zip(pending, vectors) {
                var obj: [String: JSONValue] = ["embedding": .array(v.map { .double(Double($0)) })]
                if ids { obj["input_ids"] = .array(encoder.tokenize(text).map { .int(Int64($0)) }) }
                out += JSONValue.object(obj).serialized() + "\n"
            }
            FileHandle.standardOutput.write(Data(out.utf8))
            pending.removeAll(keepingCapacity: true)
        }
        while let line = readLine(strippingNewline: true) {
            var text = line
            if line.first == "{", let v = try? JSONValue.parse(line), let t = v["text"]?.stringValue { text = t }
            pending.append(text)
            if pending.count >= max(1, batch) { try flush() }
        }
        try flush()
    }
}

extension Precision: ExpressibleByArgument {
    public init?(argument: String) {
        guard let p = try? Precision.parse(argument) else { return nil }
        self = p
    }
}
