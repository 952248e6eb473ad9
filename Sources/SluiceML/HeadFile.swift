import Foundation
import SluiceJSON

/// A trained head with what it needs to be used safely: its labels, the model whose
/// embeddings it expects, the corpus it came from, and how well it did.
///
/// On disk (JSON, format "sluice-head/1"): format, version, kind, activation, labels,
/// input_dimension, hidden_size, model, corpus_sha256, metrics {split, count, accuracy,
/// macro_f1, confusion}, training {...}, weights {name: {shape, data}} where data is
/// base64 of little-endian float32, row-major.
public struct HeadFile: Sendable {
    public static let format = "sluice-head/1"

    public var version: String
    public var head: any ClassificationHead
    public var labels: [String]
    /// `SentenceEmbedder.modelID` of the embedder the head was trained on.
    public var model: String
    public var corpusSHA256: String
    /// Held-out evaluation recorded at training time (test split).
    public var metrics: ClassificationMetrics?
    public var metricsSplit: String
    /// Training settings and counts, free-form.
    public var training: [String: JSONValue]

    public init(
        version: String, head: any ClassificationHead, labels: [String], model: String, corpusSHA256: String,
        metrics: ClassificationMetrics?, metricsSplit: String = "test", training: [String: JSONValue] = [:]
    ) {
        precondition(labels.count == head.classCount, "one label per head output")
        self.version = version
        self.head = head
        self.labels = labels
        self.model = model
        self.corpusSHA256 = corpusSHA256
        self.metrics = metrics
        self.metricsSplit = metricsSplit
        self.training = training
    }

    // MARK: Writing

    public func save(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data((json().serialized() + "\n").utf8).write(to: url, options: .atomic)
    }

    public func json() -> JSONValue {
        var object: [String: JSONValue] = [
            "format": .string(Self.format),
            "version": .string(version),
            "kind": .string(head.kind.rawValue),
            "labels": .array(labels.map { .string($0) }),
            "input_dimension": .int(Int64(head.inputDimension)),
            "hidden_size": .int(0),
            "model": .string(model),
            "corpus_sha256": .string(corpusSHA256),
            "training": .object(training),
        ]
        var weights: [String: JSONValue] = [:]
        func put(_ name: String, _ values: [Float], _ shape: [Int]) {
            weights[name] = .object([
                "shape": .array(shape.map { .int(Int64($0)) }),
                "data": .string(Self.base64(values)),
            ])
        }
        switch head {
        case let h as SoftmaxRegressionHead:
            put("weight", h.weight, [h.inputDimension, h.classCount])
            put("bias", h.bias, [h.classCount])
        case let h as MLPHead:
            object["hidden_size"] = .int(Int64(h.hiddenSize))
            object["activation"] = .string(h.activation.rawValue)
            put("hidden.weight", h.hiddenWeight, [h.inputDimension, h.hiddenSize])
            put("hidden.bias", h.hiddenBias, [h.hiddenSize])
            put("output.weight", h.outputWeight, [h.hiddenSize, h.classCount])
            put("output.bias", h.outputBias, [h.classCount])
        default:
            preconditionFailure("unknown head type \(type(of: head))")
        }
        object["weights"] = .object(weights)
        if let m = metrics {
            object["metrics"] = .object([
                "split": .string(metricsSplit),
                "count": .int(Int64(m.count)),
                "accuracy": .double(m.accuracy),
                "macro_f1": .double(m.macroF1),
                "confusion": .array(m.confusion.map { .array($0.map { .int(Int64($0)) }) }),
            ])
        }
        return .object(object)
    }

    // MARK: Reading

    /// Reads and validates a head file, whatever model it was built for.
    public static func load(_ path: String) throws(HeadFileError) -> HeadFile {
        let bytes: Data
        do { bytes = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw HeadFileError("\(path): cannot read the head file (\(error.localizedDescription))")
        }
        let root: JSONValue
        do { root = try JSONValue.parse([UInt8](bytes)) } catch {
            throw HeadFileError("\(path): not valid JSON, the file is corrupt or truncated (\(error.description))")
        }
        do { return try parse(root) } catch { throw HeadFileError("\(path): \(error.description)") }
    }

    /// Reads a head file and refuses it unless it was trained on `embedder`'s model.
    public static func load(_ path: String, for embedder: any SentenceEmbedder) throws(HeadFileError) -> HeadFile {
        let file = try load(path)
        guard file.model == embedder.modelID else {
            throw .modelMismatch(path: path, expected: file.model, loaded: embedder.modelID)
        }
        guard file.head.inputDimension == embedder.dimension else {
            throw HeadFileError(
                "\(path): the head takes \(file.head.inputDimension)-dimensional embeddings; '\(embedder.modelID)' gives \(embedder.dimension)"
            )
        }
        return file
    }

    /// Validates a parsed document (errors without the path; `load` adds it).
    public static func parse(_ root: JSONValue) throws(HeadFileError) -> HeadFile {
        guard case .object = root else { throw HeadFileError("expected a JSON object, got \(root.typeName)") }
        let format = try string(root, "format")
        guard format == Self.format else {
            throw HeadFileError("unsupported format '\(format)'; this build reads '\(Self.format)'")
        }
        let version = try string(root, "version")
        let kindName = try string(root, "kind")
        guard let kind = HeadKind(rawValue: kindName) else {
            throw HeadFileError("unknown kind '\(kindName)' (expected one of \(HeadKind.allCases.map(\.rawValue)))")
        }
        guard let labelValues = root["labels"]?.arrayValue else { throw HeadFileError("missing array 'labels'") }
        let labels = labelValues.compactMap(\.stringValue)
        guard !labels.isEmpty, labels.count == labelValues.count else {
            throw HeadFileError("'labels' must be a non-empty array of strings")
        }
        guard Set(labels).count == labels.count else { throw HeadFileError("'labels' has duplicates: \(labels)") }
        let dimension = try positiveInt(root, "input_dimension")
        let model = try string(root, "model")
        let corpus = root["corpus_sha256"]?.stringValue ?? ""
        guard let weights = root["weights"]?.objectValue else { throw HeadFileError("missing object 'weights'") }
        let classes = labels.count

        let network: HeadNetwork
        switch kind {
        case .softmax:
            let layer = try linear(weights, "weight", "bias", inputs: dimension, outputs: classes)
            network = HeadNetwork(layers: [layer], activation: .relu)
        case .mlp:
            let hidden = try positiveInt(root, "hidden_size")
            let activationName = try string(root, "activation")
            guard let activation = Activation(rawValue: activationName) else {
                throw HeadFileError("unknown activation '\(activationName)'")
            }
            let l1 = try linear(weights, "hidden.weight", "hidden.bias", inputs: dimension, outputs: hidden)
            let l2 = try linear(weights, "output.weight", "output.bias", inputs: hidden, outputs: classes)
            network = HeadNetwork(layers: [l1, l2], activation: activation)
        }
        let metrics = try parseMetrics(root["metrics"], classes: classes)
        return HeadFile(
            version: version, head: HeadTrainer.makeHead(network), labels: labels, model: model,
            corpusSHA256: corpus, metrics: metrics, metricsSplit: root["metrics"]?["split"]?.stringValue ?? "test",
            training: root["training"]?.objectValue ?? [:])
    }

    private static func parseMetrics(_ value: JSONValue?, classes: Int) throws(HeadFileError) -> ClassificationMetrics?
    {
        guard let value, case .object = value else { return nil }
        guard let rows = value["confusion"]?.arrayValue else { return nil }
        let confusion = rows.map { $0.arrayValue?.compactMap(\.intValue) ?? [] }
        guard confusion.count == classes, confusion.allSatisfy({ $0.count == classes }) else {
            throw HeadFileError("'metrics.confusion' must be \(classes)×\(classes), one row and column per label")
        }
        // ClassificationMetrics sums the counts (total, rows, columns): counts from a file whose
        // total passes Int.max would trap there, when the head is saved or its accuracy shown.
        var total = 0
        for count in confusion.joined() {
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard count >= 0, !overflow else {
                throw HeadFileError("'metrics.confusion' must hold counts of at least 0 whose total fits in 64 bits")
            }
            total = sum
        }
        return ClassificationMetrics(confusion: confusion)
    }

    private static func string(_ root: JSONValue, _ key: String) throws(HeadFileError) -> String {
        guard let value = root[key] else { throw HeadFileError("missing field '\(key)'") }
        guard let s = value.stringValue else { throw HeadFileError("'\(key)' must be a string, got \(value.typeName)") }
        return s
    }

    private static func positiveInt(_ root: JSONValue, _ key: String) throws(HeadFileError) -> Int {
        guard let n = root[key]?.intValue, n > 0 else { throw HeadFileError("'\(key)' must be a positive integer") }
        return n
    }

    private static func linear(
        _ weights: [String: JSONValue], _ weightName: String, _ biasName: String, inputs: Int, outputs: Int
    ) throws(HeadFileError) -> LinearLayer {
        let w = try tensor(weights, weightName, shape: [inputs, outputs])
        let b = try tensor(weights, biasName, shape: [outputs])
        return LinearLayer(inputs: inputs, outputs: outputs, weight: w, bias: b)
    }

    private static func tensor(_ weights: [String: JSONValue], _ name: String, shape: [Int]) throws(HeadFileError)
        -> [Float]
    {
        guard let entry = weights[name] else { throw HeadFileError("missing weights '\(name)'") }
        let declared = entry["shape"]?.arrayValue?.compactMap(\.intValue) ?? []
        guard declared == shape else {
            throw HeadFileError("weights '\(name)' have shape \(declared); the dimensions and labels need \(shape)")
        }
        guard let text = entry["data"]?.stringValue, let data = Data(base64Encoded: text) else {
            throw HeadFileError("weights '\(name)': 'data' is not valid base64")
        }
        // The shape comes from the file: multiplying it out unchecked would trap on a huge one.
        var expected = 1
        for size in shape {
            let (product, overflow) = expected.multipliedReportingOverflow(by: size)
            guard !overflow, product <= Int.max / 4 else {
                throw HeadFileError("weights '\(name)': shape \(shape) holds more values than any file can")
            }
            expected = product
        }
        guard data.count == expected * 4 else {
            throw HeadFileError(
                "weights '\(name)': \(data.count) bytes, expected \(expected * 4) (\(expected) float32)")
        }
        let values = data.withUnsafeBytes { raw in
            (0..<expected).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
            }
        }
        guard values.allSatisfy(\.isFinite) else { throw HeadFileError("weights '\(name)' contain NaN or infinity") }
        return values
    }

    static func base64(_ values: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 4)
        for v in values {
            let bits = v.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
        }
        return Data(bytes).base64EncodedString()
    }
}
