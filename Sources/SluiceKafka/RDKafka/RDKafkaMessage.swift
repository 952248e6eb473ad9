import CRdKafka

/// Copies librdkafka messages into Swift values (the C message is destroyed by the caller).
enum RDKafkaMessage {
    static func record(from message: UnsafePointer<rd_kafka_message_t>) -> KafkaRecord {
        let m = message.pointee
        let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        let key = m.key.map { bytes($0, m.key_len) }
        let value = m.payload.map { bytes($0, m.len) } ?? []
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        return KafkaRecord(
            topic: topic, partition: m.partition, offset: m.offset, key: key, value: value,
            headers: headers(of: message),
            timestampMs: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp)
    }

    static func deliveryReport(from message: UnsafePointer<rd_kafka_message_t>) -> KafkaDeliveryReport {
        let m = message.pointee
        let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        var error =
            m.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : RDKafkaClient.error(m.err, context: "delivery to \(topic)")
        if m.err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT {
            error?.message +=
                " (not acknowledged within message.timeout.ms: is the broker reachable at bootstrap.servers?)"
        }
        return KafkaDeliveryReport(
            topic: topic, partition: m.partition, offset: error == nil ? m.offset : nil, error: error)
    }

    private static func headers(of message: UnsafePointer<rd_kafka_message_t>) -> [KafkaHeader] {
        var headerList: OpaquePointer?
        // The headers stay owned by the message.
        guard rd_kafka_message_headers(message, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList else {
            return []
        }
        var result: [KafkaHeader] = []
        var index = 0
        while true {
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            guard rd_kafka_header_get_all(headerList, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR
            else { break }
            let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
            result.append(KafkaHeader(key: name.map { String(cString: $0) } ?? "", value: bytes))
            index += 1
        }
        return result
    }

    private static func bytes(_ pointer: UnsafeMutableRawPointer, _ count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
