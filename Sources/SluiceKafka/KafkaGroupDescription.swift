/// A consumer group as its coordinator describes it.
public struct KafkaGroupDescription: Sendable, Hashable {
    public var group: String
    /// `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Empty`, `Dead`, ...
    public var state: String
    /// `consumer` for consumer groups.
    public var protocolType: String
    public var members: [KafkaGroupMember]

    public init(group: String, state: String, protocolType: String, members: [KafkaGroupMember]) {
        self.group = group
        self.state = state
        self.protocolType = protocolType
        self.members = members
    }
}

/// One member of a consumer group: a running consumer (for Sluice, one replica of a stage).
public struct KafkaGroupMember: Sendable, Hashable {
    public var memberID: String
    public var clientID: String
    public var host: String

    public init(memberID: String, clientID: String, host: String) {
        self.memberID = memberID
        self.clientID = clientID
        self.host = host
    }
}
