import Foundation
import Logging

/// At most one line per interval; the lines held back are counted into the next one.
final class RateLimitedLog: @unchecked Sendable {
    private let logger: Logger
    private let intervalNanos: UInt64
    private let lock = NSLock()
    private var lastNanos: UInt64 = 0
    private var suppressed = 0

    init(logger: Logger, interval: Double = 1.0) {
        self.logger = logger
        self.intervalNanos = UInt64(interval * 1e9)
    }

    func warning(_ message: @autoclosure () -> String) {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock()
        guard lastNanos == 0 || now - lastNanos >= intervalNanos else {
            suppressed += 1
            lock.unlock()
            return
        }
        let held = suppressed
        suppressed = 0
        lastNanos = now
        lock.unlock()
        logger.warning("\(message())\(held > 0 ? " (and \(held) more since the last line)" : "")")
    }
}
