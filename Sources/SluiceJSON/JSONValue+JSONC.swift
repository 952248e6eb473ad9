import CJSONC

extension JSONValue {
    /// Parses one JSON document (UTF-8 bytes). Trailing bytes other than whitespace are an error.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONError) -> JSONValue {
        let result: Result<JSONValue, JSONError> =
            bytes.withContiguousStorageIfAvailable { buffer in
                parseBuffer(UnsafeRawBufferPointer(buffer))
            } ?? Array(bytes).withUnsafeBytes { parseBuffer($0) }
        return try result.get()
    }

    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        var text = text
        let result: Result<JSONValue, JSONError> = text.withUTF8 { parseBuffer(UnsafeRawBufferPointer($0)) }
        return try result.get()
    }

    private static func parseBuffer(_ buffer: UnsafeRawBufferPointer) -> Result<JSONValue, JSONError> {
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: CChar.self), !buffer.isEmpty else {
            return .failure(JSONError("invalid JSON: empty input"))
        }
        guard let tokener = json_tokener_new() else { return .failure(JSONError("out of memory")) }
        defer { json_tokener_free(tokener) }
        let object = json_tokener_parse_ex(tokener, base, Int32(buffer.count))
        let status = json_tokener_get_error(tokener)
        if status != json_tokener_success {
            let reason =
                status == json_tokener_continue
                ? "unexpected end of input" : String(cString: json_tokener_error_desc(status))
            if let object { json_object_put(object) }
            return .failure(JSONError("invalid JSON: \(reason) at byte \(json_tokener_get_parse_end(tokener))"))
        }
        defer { if let object { json_object_put(object) } }
        let end = Int(json_tokener_get_parse_end(tokener))
        if buffer[end...].contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) {
            return .failure(JSONError("invalid JSON: unexpected data after the value at byte \(end)"))
        }
        return .success(JSONValue(object))
    }

    init(_ object: OpaquePointer?) {
        guard let object else {
            self = .null
            return
        }
        switch json_object_get_type(object) {
        case json_type_null: self = .null
        case json_type_boolean: self = .bool(json_object_get_boolean(object) != 0)
        case json_type_int: self = .int(json_object_get_int64(object))
        case json_type_double: self = .double(json_object_get_double(object))
        case json_type_string:
            let length = Int(json_object_get_string_len(object))
            let pointer = json_object_get_string(object)!
            self = .string(
                String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self))
        case json_type_array:
            let count = json_object_array_length(object)
            var items: [JSONValue] = []
            items.reserveCapacity(count)
            for index in 0..<count { items.append(JSONValue(json_object_array_get_idx(object, index))) }
            self = .array(items)
        case json_type_object:
            var members: [String: JSONValue] = [:]
            var iterator = json_object_iter_begin(object)
            var end = json_object_iter_end(object)
            while json_object_iter_equal(&iterator, &end) == 0 {
                let key = String(cString: json_object_iter_peek_name(&iterator))
                members[key] = JSONValue(json_object_iter_peek_value(&iterator))
                json_object_iter_next(&iterator)
            }
            self = .object(members)
        default: self = .null
        }
    }

    /// Compact JSON text, keys sorted so that output is stable.
    public func serialized() -> String {
        let object = makeObject()
        defer { json_object_put(object) }
        let flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE
        var length = 0
        let text = json_object_to_json_string_length(object, Int32(flags), &length)!
        return String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self)
    }

    /// A new json-c object that the caller owns (release with json_object_put).
    func makeObject() -> OpaquePointer? {
        switch self {
        case .null: return nil
        case .bool(let b): return json_object_new_boolean(b ? 1 : 0)
        case .int(let i): return json_object_new_int64(i)
        case .double(let d): return json_object_new_double(d)
        case .string(let s):
            var s = s
            return s.withUTF8 { buffer in
                guard let base = buffer.baseAddress, !buffer.isEmpty else { return json_object_new_string("") }
                return base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    json_object_new_string_len($0, Int32(buffer.count))
                }
            }
        case .array(let items):
            let array = json_object_new_array_ext(Int32(items.count))
            for item in items { json_object_array_add(array, item.makeObject()) }
            return array
        case .object(let members):
            let object = json_object_new_object()
            for key in members.keys.sorted() { json_object_object_add(object, key, members[key]!.makeObject()) }
            return object
        }
    }
}
