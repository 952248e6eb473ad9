import CRdKafka
import Foundation

/// A dedicated thread that serves a producer-type handle's main queue.
///
/// Why a thread of its own: delivery reports, error and log callbacks of a
/// producer are only delivered when someone calls `rd_kafka_poll`. A Swift
/// task doing that would block a cooperative-pool thread; a timer would add
/// latency and could stall if the pool is saturated. One thread per client,
/// polling every 100 ms at most, loses no callback and blocks nothing else.
/// `stop()` ends the loop and waits for it, so the handle can then be destroyed
/// (never from the polling thread itself).
final class RDKafkaPollLoop: @unchecked Sendable {
    private let client: RDKafkaClient
    private let lock = NSLock()
    private var running = true
    private let finished = DispatchSemaphore(value: 0)

    init(client: RDKafkaClient, name: String) {
        self.client = client
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    private func run() {
        while isRunning {
            rd_kafka_poll(client.handle, 100)
        }
        finished.signal()
    }

    private var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    /// Idempotent; returns once the thread has left its loop.
    func stop() {
        lock.lock()
        let wasRunning = running
        running = false
        lock.unlock()
        if wasRunning { finished.wait() }
    }
}
