import CRdKafka
import Foundation

/// Producer-side librdkafka calls: produce with a per-message completion,
/// flush, queue length and transactions.
///
/// Each message carries a retained `DeliveryCompletion` as its opaque; the
/// delivery-report callback (run on the poll-loop thread) takes it back
/// exactly once. If `rd_kafka_produceva` refuses the message, no report will
/// come, so the completion is released right there.
final class RDKafkaProducerClient: @unchecked Sendable {
    final class DeliveryCompletion {
        let callback: @Sendable (KafkaDeliveryReport) -> Void
        init(_ callback: @escaping @Sendable (KafkaDeliveryReport) -> Void) { self.callback = callback }
    }

    let client: RDKafkaClient
    private let pollLoop: RDKafkaPollLoop?

    init(properties: [String: String]) throws(KafkaError) {
        client = try RDKafkaClient(kind: .producer, properties: properties) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf, deliveryReportCallback)
        }
        pollLoop = RDKafkaPollLoop(client: client, name: "sluice.kafka.producer.poll")
    }

    func produce(_ message: KafkaProducerMessage, completion: @escaping @Sendable (KafkaDeliveryReport) -> Void)
        throws(KafkaError)
    {
        let opaque = Unmanaged.passRetained(DeliveryCompletion(completion)).toOpaque()
        // C copies of every buffer, alive for the call; RD_KAFKA_MSG_F_COPY makes librdkafka copy them again.
        var arena = CArena()
        defer { arena.freeAll() }
        var fields: [rd_kafka_vu_t] = []
        fields.reserveCapacity(6 + message.headers.count)
        var topic = rd_kafka_vu_t()
        topic.vtype = RD_KAFKA_VTYPE_TOPIC
        topic.u.cstr = UnsafePointer(arena.cString(message.topic))
        fields.append(topic)
        var value = rd_kafka_vu_t()
        value.vtype = RD_KAFKA_VTYPE_VALUE
        value.u.mem.ptr = arena.bytes(message.value)
        value.u.mem.size = message.value.count
        fields.append(value)
        if let key = message.key {
            var field = rd_kafka_vu_t()
            field.vtype = RD_KAFKA_VTYPE_KEY
            field.u.mem.ptr = arena.bytes(key)
            field.u.mem.size = key.count
            fields.append(field)
        }
        for header in message.headers {
            var field = rd_kafka_vu_t()
            field.vtype = RD_KAFKA_VTYPE_HEADER
            field.u.header.name = UnsafePointer(arena.cString(header.key))
            field.u.header.val = UnsafeRawPointer(header.value.map { arena.bytes($0) } ?? nil)
            field.u.header.size = header.value?.count ?? -1  // -1: null value
            fields.append(field)
        }
        var partition = rd_kafka_vu_t()
        partition.vtype = RD_KAFKA_VTYPE_PARTITION
        partition.u.i32 = message.partition ?? -1  // RD_KAFKA_PARTITION_UA
        fields.append(partition)
        var flags = rd_kafka_vu_t()
        flags.vtype = RD_KAFKA_VTYPE_MSGFLAGS
        flags.u.i = 0x2  // RD_KAFKA_MSG_F_COPY
        fields.append(flags)
        var opaqueField = rd_kafka_vu_t()
        opaqueField.vtype = RD_KAFKA_VTYPE_OPAQUE
        opaqueField.u.ptr = opaque
        fields.append(opaqueField)

        if let error = rd_kafka_produceva(client.handle, fields, fields.count) {
            Unmanaged<DeliveryCompletion>.fromOpaque(opaque).release()
            throw RDKafkaClient.consume(error, context: "cannot enqueue record for \(message.topic)")
        }
    }

    /// Messages not yet acknowledged (queued, in flight, or awaiting their report).
    var outQueueLength: Int { Int(rd_kafka_outq_len(client.handle)) }

    /// Blocking: waits until every queued record has its delivery report.
    func flush(timeoutMs: Int) throws(KafkaError) {
        let result = rd_kafka_flush(client.handle, Int32(clamping: timeoutMs))
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw RDKafkaClient.error(
                result, context: "flush left \(outQueueLength) record(s) undelivered after \(timeoutMs) ms")
        }
    }

    /// librdkafka's fatal error, if one was raised (`rd_kafka_fatal_error`): the handle
    /// can produce nothing more and must be replaced.
    var fatalError: KafkaError? {
        var text = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(client.handle, &text, text.count)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return KafkaError(
            code: KafkaError.Code(rawValue: code.rawValue),
            message: "fatal producer error: \(RDKafkaClient.text(text))", isFatal: true)
    }

    /// `rd_kafka_test_fatal_error`: raises a fatal error as librdkafka itself would.
    func raiseFatalErrorForTesting(reason: String) {
        _ = rd_kafka_test_fatal_error(client.handle, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, reason)
    }

    // MARK: Transactions (all blocking)

    func initTransactions(timeoutMs: Int) throws(KafkaError) {
        try check(rd_kafka_init_transactions(client.handle, Int32(clamping: timeoutMs)), "initTransactions")
    }

    func beginTransaction() throws(KafkaError) {
        try check(rd_kafka_begin_transaction(client.handle), "beginTransaction")
    }

    func sendOffsetsToTransaction(
        _ offsets: [KafkaTopicPartitionOffset], groupMetadata: OpaquePointer, timeoutMs: Int
    ) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(offsets)
        let error = list.withPointer { pointer in
            rd_kafka_send_offsets_to_transaction(client.handle, pointer, groupMetadata, Int32(clamping: timeoutMs))
        }
        try check(error, "sendOffsetsToTransaction")
    }

    func commitTransaction(timeoutMs: Int) throws(KafkaError) {
        try check(rd_kafka_commit_transaction(client.handle, Int32(clamping: timeoutMs)), "commitTransaction")
    }

    func abortTransaction(timeoutMs: Int) throws(KafkaError) {
        try check(rd_kafka_abort_transaction(client.handle, Int32(clamping: timeoutMs)), "abortTransaction")
    }

    private func check(_ error: OpaquePointer?, _ context: String) throws(KafkaError) {
        if let error { throw RDKafkaClient.consume(error, context: context) }
    }

    /// Stops the poll loop, then destroys the handle. Idempotent.
    func close() {
        pollLoop?.shutdown()
    }

    deinit { close() }
}

/// Runs on the poll-loop thread (or inside flush): hands the report to the
/// completion stored as the message's opaque, releasing it.
private let deliveryReportCallback:
    @convention(c) (
        OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?
    ) -> Void = { _, message, _ in
        guard let message, let opaque = message.pointee._private else { return }
        let completion = Unmanaged<RDKafkaProducerClient.DeliveryCompletion>.fromOpaque(opaque).takeRetainedValue()
        completion.callback(RDKafkaMessage.deliveryReport(from: message))
    }
