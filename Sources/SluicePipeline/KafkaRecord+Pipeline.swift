import SluiceEvents
import SluiceKafka

extension InputRecord {
    init(_ record: KafkaRecord) {
        self.init(
            topic: record.topic, partition: record.partition, offset: record.offset, key: record.key,
            value: record.value, headers: record.headers.map { EventHeader(key: $0.key, value: $0.value ?? []) },
            timestampMicros: (record.timestampMs ?? EventClock.nowMicros() / 1_000) * 1_000)
    }
}

extension Array where Element == EventHeader {
    var kafkaHeaders: [KafkaHeader] { map { KafkaHeader(key: $0.key, value: $0.value) } }
}
