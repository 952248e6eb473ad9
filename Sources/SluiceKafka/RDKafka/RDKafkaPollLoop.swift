import CRdKafka
import Foundation

/// A dedicated thread that serves a producer-type handle's main queue.
///
/// Why a thread of its own: delivery reports, error and log callbacks of a
/// producer are only delivered when someone calls `rd_kafka_poll`. A Swift
/// task doing that would block a cooperative-pool thread; a timer would add
/// latency and could stall if the pool is saturated. One thread per client,
/// polling every 100 ms at most, loses no callback and blocks nothing else.
/// `shutdown()` ends the loop, waits for it, and only then destroys the handle
/// (never from the polling thread itself).
final class RDKafkaPollLoop: @unchecked Sendable {
    private let client: RDKafkaClient
    private let lock = NSLock()
    private var running = true
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?

    init(client: RDKafkaClient, name: String) {
        self.client = client
        let thread = Thread { [self] in run() }
        thread.name = name
        self.thread = thread
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

    /// Ends the loop, then destroys the handle. Idempotent. Normally waits for
    /// the thread; if called FROM the poll thread (a delivery callback dropped
    /// the last reference to its client), waiting would deadlock and destroying
    /// inside a callback is not allowed, so both happen on another thread.
    func shutdown() {
        lock.lock()
        let wasRunning = running
        running = false
        let onLoopThread = Thread.current === thread
        thread = nil
        lock.unlock()
        guard wasRunning else { return }
        if onLoopThread {
            let finished = self.finished
            let client = self.client
            DispatchQueue.global().async {
                finished.wait()
                client.destroy()
            }
        } else {
            finished.wait()
            client.destroy()
        }
    }
}
