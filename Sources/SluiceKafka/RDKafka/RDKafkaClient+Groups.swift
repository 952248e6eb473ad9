import CRdKafka

/// Consumer-group descriptions (ListGroups + DescribeGroups) through librdkafka's
/// `rd_kafka_list_groups`, which asks the group's coordinator for its members.
extension RDKafkaClient {
    /// The group as its coordinator sees it; nil when no coordinator knows it.
    func describeGroup(_ group: String, timeoutMs: Int) throws(KafkaError) -> KafkaGroupDescription? {
        var list: UnsafePointer<rd_kafka_group_list>?
        let error = rd_kafka_list_groups(handle, group, &list, Int32(clamping: timeoutMs))
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let list else {
            throw unreachable(error, timeoutMs: timeoutMs, what: "describing group \(group)")
        }
        defer { rd_kafka_group_list_destroy(list) }
        for index in 0..<Int(list.pointee.group_cnt) {
            let info = list.pointee.groups[index]
            guard String(cString: info.group) == group else { continue }
            if info.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw Self.error(info.err, context: "describing group \(group)")
            }
            var members: [KafkaGroupMember] = []
            for m in 0..<Int(info.member_cnt) {
                let member = info.members[m]
                members.append(
                    KafkaGroupMember(
                        memberID: member.member_id.map { String(cString: $0) } ?? "",
                        clientID: member.client_id.map { String(cString: $0) } ?? "",
                        host: member.client_host.map { String(cString: $0) } ?? ""))
            }
            return KafkaGroupDescription(
                group: group, state: info.state.map { String(cString: $0) } ?? "",
                protocolType: info.protocol_type.map { String(cString: $0) } ?? "", members: members)
        }
        return nil
    }
}
