import CRdKafka

/// A consumer's group metadata (generation, member id), for
/// `KafkaProducer.sendOffsetsToTransaction`. Owns the C object; freed in deinit.
public final class KafkaGroupMetadata: @unchecked Sendable {
    private let pointer: OpaquePointer

    init(pointer: OpaquePointer) { self.pointer = pointer }

    deinit { rd_kafka_consumer_group_metadata_destroy(pointer) }

    func withPointer<T>(_ body: (OpaquePointer) throws(KafkaError) -> T) throws(KafkaError) -> T {
        try body(pointer)
    }
}
