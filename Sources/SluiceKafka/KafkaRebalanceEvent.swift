/// A change of a consumer's assignment, delivered to the rebalance handler
/// from INSIDE librdkafka's rebalance callback.
///
/// On `.revoked` the partitions are still owned when the handler runs, so it
/// can commit acknowledged offsets for them; the revoke completes when it returns.
public enum KafkaRebalanceEvent: Sendable, Hashable {
    case assigned([KafkaTopicPartition])
    case revoked([KafkaTopicPartition])
    /// The group lost the partitions without an orderly revoke (e.g. session
    /// timeout); committing is no longer possible.
    case lost([KafkaTopicPartition])
}
