/// Group membership: how many consumers (replicas of a stage) a group has now.
extension KafkaAdmin {
    /// The group as its coordinator describes it, or nil when the broker does not
    /// know it (never joined, or long gone).
    public func describeGroup(_ group: String, timeoutMs: Int = 5_000) throws(KafkaError) -> KafkaGroupDescription? {
        try groupClient.describeGroup(group, timeoutMs: timeoutMs)
    }

    /// Members of `group` now; 0 for an unknown or empty group.
    public func groupMembers(group: String, timeoutMs: Int = 5_000) throws(KafkaError) -> [KafkaGroupMember] {
        try describeGroup(group, timeoutMs: timeoutMs)?.members ?? []
    }
}
