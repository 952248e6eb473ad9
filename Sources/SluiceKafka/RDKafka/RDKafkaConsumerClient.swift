import CRdKafka
import Foundation

/// Consumer-side librdkafka calls. The rebalance callback lives here: it runs
/// on the thread that calls `poll` (or `close`), inside `rd_kafka_consumer_poll`.
final class RDKafkaConsumerClient: @unchecked Sendable {
    let client: RDKafkaClient
    init(properties: [String: String]) throws(KafkaError) {
        client = try RDKafkaClient(kind: .consumer, properties: properties) { conf in
            rd_kafka_conf_set_rebalance_cb(conf, rebalanceCallback)
        }
        // Serve rebalance and error events from rd_kafka_consumer_poll, so the
        // thread that polls is the one that sees them (no second poll loop).
        rd_kafka_poll_set_consumer(client.handle)
    }

    func subscribe(_ topics: [String]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(capacity: topics.count)
        for topic in topics { list.add(topic: topic, partition: -1, offset: nil) }  // RD_KAFKA_PARTITION_UA
        let error = list.withPointer { rd_kafka_subscribe(client.handle, $0) }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw RDKafkaClient.error(error, context: "subscribe \(topics)") }
    }

    /// Manual assignment at explicit offsets: no group join, no rebalance.
    func assign(_ offsets: [KafkaTopicPartitionOffset]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(offsets)
        let error = list.withPointer { rd_kafka_assign(client.handle, $0) }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw RDKafkaClient.error(error, context: "assign") }
    }

    /// Blocking up to `timeoutMs`. Returns nil on timeout; throws on fatal
    /// errors; non-fatal errors (librdkafka retries them) come back as `.failure`.
    func pollOne(timeoutMs: Int) throws(KafkaError) -> Result<KafkaRecord, KafkaError>? {
        guard let message = rd_kafka_consumer_poll(client.handle, Int32(clamping: timeoutMs)) else { return nil }
        defer { rd_kafka_message_destroy(message) }
        let err = message.pointee.err
        if err == RD_KAFKA_RESP_ERR_NO_ERROR {
            // Read after the call: a rebalance served inside it came before this record.
            var record = RDKafkaMessage.record(from: message)
            record.rebalanceEpoch = client.events.rebalanceEpoch
            return .success(record)
        }
        if err == RD_KAFKA_RESP_ERR__FATAL {
            var text = [CChar](repeating: 0, count: 512)
            let cause = rd_kafka_fatal_error(client.handle, &text, text.count)
            throw KafkaError(
                code: KafkaError.Code(rawValue: cause.rawValue),
                message: "fatal consumer error: \(RDKafkaClient.text(text))",
                isFatal: true)
        }
        return .failure(RDKafkaClient.error(err, context: "consumer"))
    }

    /// Blocking synchronous commit of explicit offsets (next offset to read).
    func commit(_ offsets: [KafkaTopicPartitionOffset]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = RDKafkaTopicPartitionList(offsets)
        let error = list.withPointer { rd_kafka_commit(client.handle, $0, 0) }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw RDKafkaClient.error(error, context: "commit") }
        if let failed = list.elements.first(where: { $0.error != RD_KAFKA_RESP_ERR_NO_ERROR }) {
            throw RDKafkaClient.error(failed.error, context: "commit \(failed.topic)[\(failed.partition)]")
        }
    }

    /// Blocking. nil offset: the group has committed nothing for that partition.
    func committed(_ partitions: [KafkaTopicPartition], timeoutMs: Int) throws(KafkaError)
        -> [KafkaTopicPartition: Int64?]
    {
        let list = RDKafkaTopicPartitionList(partitions)
        let error = list.withPointer { rd_kafka_committed(client.handle, $0, Int32(clamping: timeoutMs)) }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw client.unreachable(error, timeoutMs: timeoutMs, what: "reading committed offsets")
        }
        var result: [KafkaTopicPartition: Int64?] = [:]
        for e in list.elements {
            result[KafkaTopicPartition(topic: e.topic, partition: e.partition)] = e.offset >= 0 ? e.offset : nil
        }
        return result
    }

    func pause(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(partitions)
        let error = list.withPointer { rd_kafka_pause_partitions(client.handle, $0) }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw RDKafkaClient.error(error, context: "pause") }
    }

    func resume(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(partitions)
        let error = list.withPointer { rd_kafka_resume_partitions(client.handle, $0) }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw RDKafkaClient.error(error, context: "resume") }
    }

    func assignment() throws(KafkaError) -> [KafkaTopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let error = rd_kafka_assignment(client.handle, &list)
        defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw RDKafkaClient.error(error, context: "assignment") }
        return list.map { RDKafkaTopicPartitionList.partitions(of: $0) } ?? []
    }

    /// Caller owns the result (destroy with `rd_kafka_consumer_group_metadata_destroy`).
    func groupMetadata() -> OpaquePointer? { rd_kafka_consumer_group_metadata(client.handle) }

    /// Blocking: leaves the group (serving the final revoke through the
    /// rebalance callback), then destroys the handle.
    func close() {
        guard !client.isDestroyed else { return }
        let error = rd_kafka_consumer_close(client.handle)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            rdKafkaLogger.warning("consumer close: \(String(cString: rd_kafka_err2str(error)))")
        }
        client.destroy()
    }
}

/// Runs inside `rd_kafka_consumer_poll` / `rd_kafka_consumer_close` on the
/// caller's thread. Revoke: tell the application FIRST (it may commit), then
/// give the partitions up. Assign: take them, then tell the application.
private let rebalanceCallback:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        UnsafeMutableRawPointer?
    ) -> Void = { handle, reason, partitions, opaque in
        guard let handle, let partitions, let opaque else { return }
        let events = RDKafkaClientEvents.from(opaque)
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        let list = RDKafkaTopicPartitionList.partitions(of: partitions)
        switch reason {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            if cooperative {
                if let error = rd_kafka_incremental_assign(handle, partitions) {
                    rdKafkaLogger.error("\(RDKafkaClient.consume(error, context: "incremental assign"))")
                }
            } else {
                rd_kafka_assign(handle, partitions)
            }
            events.notifyRebalance(.assigned(list))
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            // Lost partitions may already belong to another member: no commit then.
            events.notifyRebalance(rd_kafka_assignment_lost(handle) != 0 ? .lost(list) : .revoked(list))
            if cooperative {
                if let error = rd_kafka_incremental_unassign(handle, partitions) {
                    rdKafkaLogger.error("\(RDKafkaClient.consume(error, context: "incremental unassign"))")
                }
            } else {
                rd_kafka_assign(handle, nil)
            }
        default:
            rdKafkaLogger.error("rebalance error: \(String(cString: rd_kafka_err2str(reason)))")
            rd_kafka_assign(handle, nil)
        }
    }
