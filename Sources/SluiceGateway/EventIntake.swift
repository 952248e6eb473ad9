import Foundation
import SluiceEvents
import SluiceJSON
import SluiceKafka
import SluiceWorkflow

/// Turns a request body into records for the workflow's input topic, or into the
/// list of everything wrong with it. All or nothing: one bad event refuses the request,
/// so a caller never has to work out which of its events went in.
///
/// An event is a JSON object with a string `text`; optional `id` (up to 200 of
/// `A-Za-z0-9._:-`, or an integer; a UUID when absent), `data` (an object carried
/// untouched) and `key` (the record key, default the id: events with the same key keep
/// their order), and nothing else.
public struct EventIntake: Sendable {
    public let workflow: Workflow
    public let maxEvents: Int
    /// The largest record the broker takes (key, value and headers, with Kafka's
    /// per-record overhead): an event past it refuses the whole request before anything
    /// is produced, so a request is never half produced.
    public let maxRecordBytes: Int

    public init(workflow: Workflow, maxEvents: Int, maxRecordBytes: Int = 1_000_000) {
        self.workflow = workflow
        self.maxEvents = maxEvents
        self.maxRecordBytes = maxRecordBytes
    }

    public struct Accepted: Sendable {
        public var ids: [String]
        public var messages: [KafkaProducerMessage]
        /// Per event, what identifies it as posted (`text`, `data`, `key`):
        /// the same id with the same fingerprint is a retry.
        public var fingerprints: [EventFingerprint] = []
        /// Per event, `text` and `data` only: compared with a result seen on the output topic.
        public var contents: [EventFingerprint] = []
    }

    /// Kafka's overhead on one record in a batch of its own (batch header and record framing).
    static let recordOverhead = 80

    /// The size of `message` as the broker counts it, near enough (never less).
    public static func recordBytes(_ message: KafkaProducerMessage) -> Int {
        recordOverhead + (message.key?.count ?? 0) + message.value.count
            + message.headers.reduce(0) { $0 + 10 + $1.key.utf8.count + ($1.value?.count ?? 0) }
    }

    /// - Parameters:
    ///   - single: the route takes exactly one event (predict).
    ///   - traceparent: the request's W3C trace context, carried onto the records.
    public func accept(_ body: [UInt8], single: Bool, traceparent: String?) throws(IntakeError) -> Accepted {
        let parsed: JSONValue
        do {
            parsed = try JSONValue.parse(body)
        } catch {
            throw IntakeError(["the body is not valid JSON: \(error.description)"])
        }
        let items: [JSONValue]
        switch parsed {
        case .array(let list) where !single:
            guard !list.isEmpty else { throw IntakeError(["the array is empty: send at least one event"]) }
            guard list.count <= maxEvents else {
                throw IntakeError(["\(list.count) events in one request; the limit is \(maxEvents): split the batch"])
            }
            items = list
        case .array:
            throw IntakeError(["predict takes one event (a JSON object), not an array"])
        case .object:
            items = [parsed]
        default:
            throw IntakeError([
                "the body must be a JSON object with a 'text' field\(single ? "" : ", or an array of them"), got \(parsed.typeName)"
            ])
        }
        var problems: [String] = []
        var tooLarge = false
        var accepted = Accepted(ids: [], messages: [])
        for (index, item) in items.enumerated() {
            let name = items.count == 1 ? "the event" : "event \(index)"
            switch record(item, traceparent: traceparent) {
            case .success(let (id, message)):
                let bytes = Self.recordBytes(message)
                guard bytes <= maxRecordBytes else {
                    tooLarge = true
                    problems.append(
                        "\(name): is \(bytes) bytes as a record; the broker takes at most \(maxRecordBytes) "
                            + "(max.message.bytes): make its 'data' smaller")
                    continue
                }
                accepted.ids.append(id)
                accepted.messages.append(message)
                accepted.fingerprints.append(
                    AcceptedIDs.fingerprint(text: item["text"], data: item["data"], key: item["key"]))
                accepted.contents.append(AcceptedIDs.fingerprint(text: item["text"], data: item["data"], key: nil))
            case .failure(let problem):
                problems.append("\(name): \(problem.text)")
            }
        }
        var conflict = false
        if let duplicate = Dictionary(grouping: accepted.ids, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            problems.append("id '\(duplicate)' appears more than once in the request: give each event its own id")
            conflict = true
        }
        guard problems.isEmpty else { throw IntakeError(problems, tooLarge: tooLarge, conflict: conflict) }
        return accepted
    }

    private struct Problem: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    private func record(_ item: JSONValue, traceparent: String?) -> Result<(String, KafkaProducerMessage), Problem> {
        guard case .object(var fields) = item else {
            return .failure(Problem("must be a JSON object with a 'text' field, got \(item.typeName)"))
        }
        for name in fields.keys.sorted() where !Self.postedFields.contains(name) {
            let shown = name.unicodeScalars.count > 64 ? String(name.prefix(64)) + "..." : name
            return .failure(
                Problem(
                    Self.reservedFields.contains(name)
                        ? "'\(name)' is set by Sluice; leave it out"
                        : "'\(shown)' is not a field of a posted event: send only id, key, text and data "
                            + "(anything else goes inside data)"))
        }
        guard let text = fields["text"] else { return .failure(Problem("'text' is missing")) }
        guard let string = text.stringValue else {
            return .failure(Problem("'text' must be a string, got \(text.typeName)"))
        }
        // White space as JSON Schema's (ECMAScript's) `\s`, so that the OpenAPI pattern `\S` says the same.
        guard !string.unicodeScalars.allSatisfy(Self.isSpace) else {
            return .failure(Problem("'text' is empty"))
        }
        guard string.utf8.count <= workflow.limits.maxTextBytes else {
            return .failure(
                Problem(
                    "'text' has \(string.utf8.count) bytes; the workflow's limit is \(workflow.limits.maxTextBytes) (limits.max_text_bytes)"
                ))
        }
        let id: String
        switch fields["id"] {
        case nil, .null?: id = EventStamp.newID()
        case .string(let given)?:
            guard Self.isValidID(given) else {
                return .failure(Problem("'id' must be 1 to 200 of the characters A-Z a-z 0-9 . _ : - (or an integer)"))
            }
            id = given
        case .int(let number)?:
            // The JSON parser saturates integers past 64 bits, so two different ones would collide there.
            guard Self.idRange.contains(number) else {
                return .failure(Problem("'id' as a number must lie within ±9223372036854775806: send it as a string"))
            }
            id = String(number)
        case .double(let number)? where number == number.rounded() && abs(number) < 9e15:
            id = String(Int64(number))  // 7.0 is the integer 7 to JSON Schema
        case let other?: return .failure(Problem("'id' must be a string, got \(other.typeName)"))
        }
        if let data = fields["data"], case .object = data {
        } else if fields["data"] != nil {
            return .failure(Problem("'data' must be an object, got \(fields["data"]!.typeName)"))
        }
        var key = id
        if let given = fields.removeValue(forKey: "key") {
            guard let string = given.stringValue else {
                return .failure(Problem("'key' must be a string, got \(given.typeName)"))
            }
            key = string
        }
        fields["id"] = .string(id)  // the id checked above, also when it was made here
        let event = EventStamp.stamp(fields, entry: "gateway", workflow: workflow.name, traceparent: traceparent)
        let message = KafkaProducerMessage(
            topic: workflow.input, key: Array(key.utf8), value: event.value,
            headers: event.headers.map { KafkaHeader(key: $0.key, value: $0.value) })
        return .success((id, message))
    }
}

extension EventIntake {
    /// What a posted event may hold. Anything else at the top level would reach the topics
    /// beside the stages' results, so a client could set `label` or `sentiment` itself.
    public static let postedFields: Set<String> = ["id", "key", "text", "data"]
    /// Fields Sluice sets on the way (named in the refusal).
    static let reservedFields: Set<String> = ["embedding", "hops", "created_at", "workflow"]
    /// Integer ids: the saturated ends of a 64-bit integer are left out.
    public static let idRange: ClosedRange<Int64> = (Int64.min + 1)...(Int64.max - 1)

    /// `^[A-Za-z0-9._:-]{1,200}$`: safe in a path segment, a log line and a Kafka key.
    public static func isValidID(_ id: String) -> Bool {
        let bytes = id.utf8
        return (1...200).contains(bytes.count)
            && bytes.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"),
                    UInt8(ascii: "-"):
                    return true
                default: return false
                }
            }
    }

    /// ECMAScript's white space and line terminators (what `\s` matches).
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
            return true
        default:
            return false
        }
    }
}

/// Everything wrong with a request body, one line per problem.
public struct IntakeError: Error, CustomStringConvertible {
    public let problems: [String]
    /// An event is larger than the broker takes (413 rather than 400).
    public let tooLarge: Bool
    /// Two events share an id (409 rather than 400).
    public let conflict: Bool
    public init(_ problems: [String], tooLarge: Bool = false, conflict: Bool = false) {
        self.problems = problems
        self.tooLarge = tooLarge
        self.conflict = conflict
    }
    public var description: String { problems.joined(separator: "; ") }
}
