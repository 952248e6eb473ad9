import Foundation
import SluiceJSON

extension Envelope {
    static let reservedKeys: Set<String> = ["id", "workflow", "created_at", "text", "data", "embedding", "hops"]

    /// Decodes a record value. `fallbackID` and `fallbackCreatedAt` fill in an
    /// event that a plain producer sent without them (the first stage adds them).
    public static func decode(
        _ bytes: [UInt8], fallbackID: @autoclosure () -> String, fallbackCreatedAt: @autoclosure () -> Int64,
        maxTextBytes: Int = .max
    ) throws(EnvelopeError) -> Envelope {
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw EnvelopeError(.invalidJSON, error.description) }
        guard case .object(var fields) = json else {
            throw EnvelopeError(.notAnObject, "the event must be a JSON object, got \(json.typeName)")
        }
        guard let textValue = fields.removeValue(forKey: "text") else {
            throw EnvelopeError(.missingText, "the event has no 'text' field")
        }
        guard let text = textValue.stringValue else {
            throw EnvelopeError(.wrongType, "'text' must be a string, got \(textValue.typeName)")
        }
        guard text.utf8.count <= maxTextBytes else {
            throw EnvelopeError(.textTooLong, "'text' has \(text.utf8.count) bytes, the limit is \(maxTextBytes)")
        }
        var envelope = Envelope(id: "", createdAt: 0, text: text)
        switch fields.removeValue(forKey: "id") {
        case nil, .null?: envelope.id = fallbackID()
        case .string(let id)?: envelope.id = id
        case .int(let id)?: envelope.id = String(id)
        case let other?: throw EnvelopeError(.wrongType, "'id' must be a string, got \(other.typeName)")
        }
        switch fields.removeValue(forKey: "created_at") {
        case nil, .null?: envelope.createdAt = fallbackCreatedAt()
        case .int(let micros)?: envelope.createdAt = micros
        case let other?:
            throw EnvelopeError(
                .wrongType, "'created_at' must be epoch microseconds (an integer), got \(other.typeName)")
        }
        if let workflow = fields.removeValue(forKey: "workflow") {
            guard case .string(let name) = workflow else {
                throw EnvelopeError(.wrongType, "'workflow' must be a string, got \(workflow.typeName)")
            }
            envelope.workflow = name
        }
        if let data = fields.removeValue(forKey: "data") {
            guard case .object(let members) = data else {
                throw EnvelopeError(.wrongType, "'data' must be an object, got \(data.typeName)")
            }
            envelope.data = members
        }
        if let embedding = fields.removeValue(forKey: "embedding") {
            envelope.embedding = try VectorCodec.decode(embedding)
        }
        if let hops = fields.removeValue(forKey: "hops") {
            envelope.hops = try decodeHops(hops)
        }
        envelope.results = fields
        return envelope
    }

    private static func decodeHops(_ value: JSONValue) throws(EnvelopeError) -> [Hop] {
        guard case .array(let items) = value else {
            throw EnvelopeError(.wrongType, "'hops' must be an array, got \(value.typeName)")
        }
        var hops: [Hop] = []
        for item in items {
            guard let stage = item["stage"]?.stringValue, let consumed = item["consumed_at"]?.intValue,
                let produced = item["produced_at"]?.intValue
            else {
                throw EnvelopeError(.wrongType, "each hop needs 'stage', 'consumed_at' and 'produced_at'")
            }
            hops.append(
                Hop(
                    stage: stage, worker: item["worker"]?.stringValue ?? "", consumedAt: Int64(consumed),
                    producedAt: Int64(produced), batchSize: item["batch_size"]?.intValue ?? 1,
                    processMicros: Int64(item["process_us"]?.intValue ?? 0)))
        }
        return hops
    }

    public func jsonValue() -> JSONValue {
        var fields = results
        fields["id"] = .string(id)
        if let workflow { fields["workflow"] = .string(workflow) }
        fields["created_at"] = .int(createdAt)
        fields["text"] = .string(text)
        if !data.isEmpty { fields["data"] = .object(data) }
        if let embedding { fields["embedding"] = VectorCodec.encode(embedding) }
        fields["hops"] = .array(
            hops.map { hop in
                .object([
                    "stage": .string(hop.stage), "worker": .string(hop.worker),
                    "consumed_at": .int(hop.consumedAt), "produced_at": .int(hop.producedAt),
                    "batch_size": .int(Int64(hop.batchSize)), "process_us": .int(hop.processMicros),
                ])
            })
        return .object(fields)
    }

    /// The record value: compact JSON, UTF-8.
    public func encoded() -> [UInt8] { Array(jsonValue().serialized().utf8) }
}
