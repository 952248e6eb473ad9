import SluiceJSON

/// One member's record in the registry (the value under its member id).
///
/// JSON (times in microseconds since the epoch, unknown figures null):
///
///     {"format": "sluice-registry/1", "kind": "worker", "member": "wf/embed/host:1234",
///      "workflow": "wf", "stage": "embed", "model": "all-MiniLM-L6-v2@1a2b",
///      "precision": "int8 (int8 AVX2 (vpmaddubsw + vpmaddwd))",
///      "head_version": null, "canary_version": null, "host": "host", "pid": 1234, "partitions": ["posts[0]"],
///      "started_at": 1764400000000000, "last_heartbeat": 1764400003000000,
///      "health": "ok", "rejoins": 0, "rss_bytes": 212992000, "events_processed": 1200}
public struct RegistryEntry: Sendable, Equatable {
    public enum Kind: String, Sendable { case worker, monitor, gateway }
    public enum Health: String, Sendable { case ok, degraded }

    public var kind: Kind
    public var member: String
    public var workflow: String
    /// The stage a worker runs; nil for a monitor.
    public var stage: String?
    public var model: String?
    /// The precision and kernel an embed worker's encoder runs in, with any fallback.
    public var precision: String?
    public var headVersion: String?
    /// A head scoring a share of the events beside `headVersion` (`sluice deploy --canary`).
    public var canaryVersion: String?
    public var host: String
    public var pid: Int32
    public var partitions: [String]
    public var startedAt: Int64
    public var lastHeartbeat: Int64
    public var health: Health
    public var rejoins: Int
    public var residentBytes: Int64?
    public var eventsProcessed: Int

    public init(
        kind: Kind, member: String, workflow: String, stage: String?, model: String? = nil, headVersion: String? = nil,
        host: String, pid: Int32, partitions: [String] = [], startedAt: Int64, lastHeartbeat: Int64,
        health: Health = .ok, rejoins: Int = 0, residentBytes: Int64? = nil, eventsProcessed: Int = 0
    ) {
        self.kind = kind
        self.member = member
        self.workflow = workflow
        self.stage = stage
        self.model = model
        self.headVersion = headVersion
        self.host = host
        self.pid = pid
        self.partitions = partitions
        self.startedAt = startedAt
        self.lastHeartbeat = lastHeartbeat
        self.health = health
        self.rejoins = rejoins
        self.residentBytes = residentBytes
        self.eventsProcessed = eventsProcessed
    }

    public func json() -> JSONValue {
        .object([
            "format": .string(Registry.format),
            "kind": .string(kind.rawValue),
            "member": .string(member),
            "workflow": .string(workflow),
            "stage": stage.map(JSONValue.string) ?? .null,
            "model": model.map(JSONValue.string) ?? .null,
            "precision": precision.map(JSONValue.string) ?? .null,
            "head_version": headVersion.map(JSONValue.string) ?? .null,
            "canary_version": canaryVersion.map(JSONValue.string) ?? .null,
            "host": .string(host),
            "pid": .int(Int64(pid)),
            "partitions": .array(partitions.map(JSONValue.string)),
            "started_at": .int(startedAt),
            "last_heartbeat": .int(lastHeartbeat),
            "health": .string(health.rawValue),
            "rejoins": .int(Int64(rejoins)),
            "rss_bytes": residentBytes.map(JSONValue.int) ?? .null,
            "events_processed": .int(Int64(eventsProcessed)),
        ])
    }

    public func encoded() -> [UInt8] { Array(json().serialized().utf8) }

    /// nil for a value that is not a registry record of this format.
    public init?(json value: JSONValue) {
        guard value["format"]?.stringValue == Registry.format,
            let kind = value["kind"]?.stringValue.flatMap(Kind.init(rawValue:)),
            let member = value["member"]?.stringValue, let workflow = value["workflow"]?.stringValue,
            let host = value["host"]?.stringValue, let pid = value["pid"]?.intValue,
            let startedAt = value["started_at"]?.intValue, let heartbeat = value["last_heartbeat"]?.intValue
        else { return nil }
        self.init(
            kind: kind, member: member, workflow: workflow, stage: value["stage"]?.stringValue,
            model: value["model"]?.stringValue, headVersion: value["head_version"]?.stringValue, host: host,
            pid: Int32(clamping: pid),
            partitions: value["partitions"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            startedAt: Int64(startedAt), lastHeartbeat: Int64(heartbeat),
            health: value["health"]?.stringValue.flatMap(Health.init(rawValue:)) ?? .ok,
            rejoins: value["rejoins"]?.intValue ?? 0,
            residentBytes: value["rss_bytes"]?.intValue.map(Int64.init),
            eventsProcessed: value["events_processed"]?.intValue ?? 0)
        canaryVersion = value["canary_version"]?.stringValue
        precision = value["precision"]?.stringValue
    }

    public init?(bytes: [UInt8]) {
        guard let value = try? JSONValue.parse(bytes) else { return nil }
        self.init(json: value)
    }
}
