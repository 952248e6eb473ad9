import CRdKafka

/// Metadata, watermarks and CreateTopics: the calls KafkaAdmin needs. All block
/// the calling thread for at most their timeout.
extension RDKafkaClient {
    /// Topic name -> partition ids, for all topics or just `topic`.
    func metadata(topic: String?, timeoutMs: Int) throws(KafkaError) -> [String: [Int32]] {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        var topicHandle: OpaquePointer?
        if let topic { topicHandle = rd_kafka_topic_new(handle, topic, nil) }
        defer { if let topicHandle { rd_kafka_topic_destroy(topicHandle) } }
        let error = rd_kafka_metadata(
            handle, topicHandle == nil ? 1 : 0, topicHandle, &metadata, Int32(clamping: timeoutMs))
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw unreachable(error, timeoutMs: timeoutMs, what: "fetching metadata")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        var result: [String: [Int32]] = [:]
        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let t = metadata.pointee.topics[index]
            if t.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if topic != nil { throw Self.error(t.err, context: "metadata of \(String(cString: t.topic))") }
                continue
            }
            result[String(cString: t.topic)] = (0..<Int(t.partition_cnt)).map { t.partitions[$0].id }
        }
        return result
    }

    func watermarks(topic: String, partition: Int32, timeoutMs: Int) throws(KafkaError) -> (low: Int64, high: Int64) {
        var low: Int64 = 0
        var high: Int64 = 0
        let error = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, Int32(clamping: timeoutMs))
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw unreachable(error, timeoutMs: timeoutMs, what: "querying watermarks of \(topic)[\(partition)]")
        }
        return (low, high)
    }

    /// Per topic: nil when created, else the broker's error (e.g. already exists).
    func createTopics(
        _ specs: [(name: String, partitions: Int32, replicationFactor: Int32, config: [String: String])],
        timeoutMs: Int
    ) throws(KafkaError) -> [String: KafkaError?] {
        var newTopics: [OpaquePointer?] = []
        defer { for topic in newTopics { rd_kafka_NewTopic_destroy(topic) } }
        for spec in specs {
            var errstr = [CChar](repeating: 0, count: 512)
            guard
                let topic = rd_kafka_NewTopic_new(
                    spec.name, spec.partitions, spec.replicationFactor, &errstr, errstr.count)
            else {
                throw KafkaError(code: .invalidArgument, message: "topic \(spec.name): \(Self.text(errstr))")
            }
            newTopics.append(topic)
            for (key, value) in spec.config {
                let error = rd_kafka_NewTopic_set_config(topic, key, value)
                if error != RD_KAFKA_RESP_ERR_NO_ERROR {
                    throw Self.error(error, context: "topic \(spec.name) config \(key)=\(value)")
                }
            }
        }
        let queue = rd_kafka_queue_new(handle)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errstr = [CChar](repeating: 0, count: 512)
        rd_kafka_AdminOptions_set_request_timeout(options, Int32(clamping: timeoutMs), &errstr, errstr.count)
        rd_kafka_AdminOptions_set_operation_timeout(options, Int32(clamping: timeoutMs), &errstr, errstr.count)
        rd_kafka_CreateTopics(handle, &newTopics, newTopics.count, options, queue)
        // The request itself times out after timeoutMs; wait a little longer for its result event.
        guard let event = rd_kafka_queue_poll(queue, Int32(clamping: timeoutMs + 2_000)) else {
            throw unreachable(RD_KAFKA_RESP_ERR__TIMED_OUT, timeoutMs: timeoutMs, what: "creating topics")
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        if eventError != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw unreachable(eventError, timeoutMs: timeoutMs, what: "creating topics")
        }
        var count = 0
        guard let result = rd_kafka_event_CreateTopics_result(event),
            let topics = rd_kafka_CreateTopics_result_topics(result, &count)
        else { return [:] }
        var outcome: [String: KafkaError?] = [:]
        for index in 0..<count {
            guard let topic = topics[index] else { continue }
            let name = String(cString: rd_kafka_topic_result_name(topic))
            let error = rd_kafka_topic_result_error(topic)
            if error == RD_KAFKA_RESP_ERR_NO_ERROR {
                outcome[name] = .some(nil)
            } else {
                let text = rd_kafka_topic_result_error_string(topic).map { String(cString: $0) }
                var failure = Self.error(error, context: "topic \(name)")
                if let text { failure.message += " (\(text))" }
                outcome[name] = .some(failure)
            }
        }
        return outcome
    }
}
