/// The one rule for reading a header by name: the last one with that key wins.
///
/// Kafka lets a record carry the same key more than once and says nothing about
/// which counts. Clients conventionally append to override (a relay adds its
/// value after the ones it received), so the newest is the last; the Java
/// client's `Headers.lastHeader` reads it that way too. Every
/// reader in Sluice (worker, monitor, gateway, `sluice dlq`) goes through here,
/// so all of them agree on a record with repeated headers.
public enum HeaderLookup {
    /// The value of the last header called `name`; nil when there is none (or its value is null).
    public static func value<Header>(
        _ name: String, in headers: [Header], key: (Header) -> String, value: (Header) -> [UInt8]?
    ) -> [UInt8]? {
        headers.last { key($0) == name }.flatMap(value)
    }

    /// The same as UTF-8 text.
    public static func text<Header>(
        _ name: String, in headers: [Header], key: (Header) -> String, value: (Header) -> [UInt8]?
    ) -> String? {
        Self.value(name, in: headers, key: key, value: value).map { String(decoding: $0, as: UTF8.self) }
    }
}

extension Array where Element == EventHeader {
    /// The last header called `name`, as text (see `HeaderLookup`).
    public func text(named name: String) -> String? {
        HeaderLookup.text(name, in: self, key: \.key, value: \.value)
    }
}
