import Foundation
import SluiceJSON
import SluiceKafka

/// The control topic: model announcements per workflow and stage. One partition
/// (announcements stay in order), `cleanup.policy=compact`, two kinds of key:
///
/// - `<workflow>/<stage>/head/<version>`: the head file of that version, as is
///   (about 530 KB for the sentiment head, so one head per record);
/// - `<workflow>/<stage>`: the desired state, a `ModelState`.
///
/// A head record is always written before the state that names it. Readers fold
/// by key (the latest record wins), so the latest state applies and every version
/// stays fetchable, also on a broker that never compacts (Tansu).
public enum ModelControl {
    /// The topic unless the caller names another (`sluice` takes `$SLUICE_CONTROL_TOPIC`).
    public static let defaultTopic = "sluice-control"
    public static let format = "sluice-model/1"

    public static func ensureTopic(_ topic: String, admin: KafkaAdmin, timeoutMs: Int = 10_000) throws(KafkaError) {
        try admin.ensureTopic(
            KafkaNewTopic(name: topic, partitions: 1, config: ["cleanup.policy": "compact"]), timeoutMs: timeoutMs)
    }

    public static func stateKey(workflow: String, stage: String) -> String { "\(workflow)/\(stage)" }

    public static func headKey(workflow: String, stage: String, version: String) -> String {
        "\(workflow)/\(stage)/head/\(version)"
    }

    /// Deterministic canary choice: the same event id always lands on the same side,
    /// so a replayed or redelivered event is scored the same way.
    public static func inCanary(eventID: String, fraction: Double) -> Bool {
        guard fraction > 0 else { return false }
        // FNV-1a, then a final mix so that ids differing only in their last digit spread evenly.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in eventID.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        hash ^= hash >> 33
        hash &*= 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        return Double(hash % 1_000_000) < fraction * 1_000_000
    }
}

/// What a stage should run: the active head version, optionally a canary scored
/// alongside it on a fraction of the events, and the versions active before
/// (newest first) that a rollback returns to.
public struct ModelState: Sendable, Equatable {
    public struct Canary: Sendable, Equatable {
        public var version: String
        public var fraction: Double
        public init(version: String, fraction: Double) {
            self.version = version
            self.fraction = fraction
        }
    }

    public var workflow: String
    public var stage: String
    public var active: String
    public var canary: Canary?
    public var previous: [String]
    /// Epoch µs.
    public var announcedAt: Int64
    /// Who announced it (user@host; `sluice` takes the user from the environment).
    public var by: String

    public init(
        workflow: String, stage: String, active: String, canary: Canary? = nil, previous: [String] = [],
        announcedAt: Int64 = Int64(Date().timeIntervalSince1970 * 1_000_000), by: String
    ) {
        self.workflow = workflow
        self.stage = stage
        self.active = active
        self.canary = canary
        self.previous = previous
        self.announcedAt = announcedAt
        self.by = by
    }

    public func json() -> JSONValue {
        .object([
            "format": .string(ModelControl.format),
            "workflow": .string(workflow),
            "stage": .string(stage),
            "active": .string(active),
            "canary": canary.map { .object(["version": .string($0.version), "fraction": .double($0.fraction)]) }
                ?? .null,
            "previous": .array(previous.map { .string($0) }),
            "announced_at": .int(announcedAt),
            "by": .string(by),
        ])
    }

    public func encoded() -> [UInt8] { Array(json().serialized().utf8) }

    /// Reads a state record, refusing anything that is not one (with the reason).
    public static func decode(_ bytes: [UInt8]) throws(ModelControlError) -> ModelState {
        let root: JSONValue
        do { root = try JSONValue.parse(bytes) } catch {
            throw ModelControlError("not valid JSON (\(error.description))")
        }
        guard root["format"]?.stringValue == ModelControl.format else {
            throw ModelControlError("'format' is not '\(ModelControl.format)'")
        }
        guard let workflow = root["workflow"]?.stringValue, let stage = root["stage"]?.stringValue,
            let active = root["active"]?.stringValue, !active.isEmpty
        else { throw ModelControlError("'workflow', 'stage' and 'active' must be non-empty strings") }
        var canary: Canary?
        if let value = root["canary"], value != .null {
            guard let version = value["version"]?.stringValue, let fraction = value["fraction"]?.doubleValue,
                fraction > 0, fraction < 1
            else { throw ModelControlError("'canary' must be {version, fraction} with 0 < fraction < 1") }
            canary = Canary(version: version, fraction: fraction)
        }
        let previous = root["previous"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return ModelState(
            workflow: workflow, stage: stage, active: active, canary: canary, previous: previous,
            announcedAt: Int64(root["announced_at"]?.intValue ?? 0), by: root["by"]?.stringValue ?? "")
    }
}

public struct ModelControlError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The control topic folded by key, for one stage: its latest state and the
/// bytes of every head version announced for it.
public struct ControlFold: Sendable {
    public let workflow: String
    public let stage: String
    /// The raw value of the latest state record (decoded by whoever uses it).
    public private(set) var stateRecord: [UInt8]?
    public private(set) var heads: [String: [UInt8]] = [:]
    /// Records that changed something since `takeChanges()`: whether the state did, and which head versions.
    private var stateChanged = false
    private var newHeads: Set<String> = []

    public init(workflow: String, stage: String) {
        self.workflow = workflow
        self.stage = stage
    }

    private var stateKey: String { ModelControl.stateKey(workflow: workflow, stage: stage) }
    private var headPrefix: String { stateKey + "/head/" }

    /// Applies one record; records of other stages are ignored, a null value on the
    /// state key is ignored too (the stage keeps what it runs).
    public mutating func apply(key: [UInt8]?, value: [UInt8]) {
        guard let key = key.map({ String(decoding: $0, as: UTF8.self) }) else { return }
        if key == stateKey {
            guard !value.isEmpty else { return }
            stateRecord = value
            stateChanged = true
        } else if key.hasPrefix(headPrefix) {
            let version = String(key.dropFirst(headPrefix.count))
            if value.isEmpty { heads[version] = nil } else { heads[version] = value }
            newHeads.insert(version)
        }
    }

    public mutating func takeChanges() -> (state: Bool, heads: Set<String>) {
        defer {
            stateChanged = false
            newHeads = []
        }
        return (stateChanged, newHeads)
    }
}
