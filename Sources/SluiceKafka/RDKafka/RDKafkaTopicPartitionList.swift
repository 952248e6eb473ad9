import CRdKafka

/// Owns an `rd_kafka_topic_partition_list_t`; freed in deinit. Callers borrow
/// the pointer inside `withPointer` only.
final class RDKafkaTopicPartitionList {
    private let list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(capacity: Int = 1) {
        list = rd_kafka_topic_partition_list_new(Int32(max(capacity, 1)))
    }

    convenience init(_ partitions: [KafkaTopicPartition]) {
        self.init(capacity: partitions.count)
        for p in partitions { add(topic: p.topic, partition: p.partition, offset: nil) }
    }

    convenience init(_ offsets: [KafkaTopicPartitionOffset]) {
        self.init(capacity: offsets.count)
        for p in offsets { add(topic: p.topic, partition: p.partition, offset: p.offset) }
    }

    deinit { rd_kafka_topic_partition_list_destroy(list) }

    func add(topic: String, partition: Int32, offset: Int64?) {
        let element = rd_kafka_topic_partition_list_add(list, topic, partition)
        if let offset { element?.pointee.offset = offset }
    }

    func withPointer<T>(_ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) throws -> T) rethrows -> T {
        try body(list)
    }

    /// Reads a list librdkafka owns (e.g. inside a callback) without taking it.
    static func partitions(of list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [KafkaTopicPartition] {
        elements(of: list).map { KafkaTopicPartition(topic: $0.topic, partition: $0.partition) }
    }

    /// Elements with offset (librdkafka's logical offsets kept as-is) and per-element error.
    static func elements(of list: UnsafePointer<rd_kafka_topic_partition_list_t>)
        -> [(topic: String, partition: Int32, offset: Int64, error: rd_kafka_resp_err_t)]
    {
        let count = Int(list.pointee.cnt)
        guard count > 0, let elems = list.pointee.elems else { return [] }
        return (0..<count).map { index in
            let e = elems[index]
            return (String(cString: e.topic), e.partition, e.offset, e.err)
        }
    }

    var elements: [(topic: String, partition: Int32, offset: Int64, error: rd_kafka_resp_err_t)] {
        Self.elements(of: list)
    }
}
