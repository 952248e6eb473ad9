import Foundation
import Logging

/// Logs a background check's problems when they change, not on every probe: the
/// error texts kept out of HTTP answers (broker addresses, librdkafka's words) are
/// still there for the operator, once.
final class ChangeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var last: [String] = []
    private let logger: Logger
    private let subject: String

    init(logger: Logger, subject: String) {
        self.logger = logger
        self.subject = subject
    }

    func note(_ problems: [String]) {
        let changed = lock.withLock {
            defer { last = problems }
            return last != problems
        }
        guard changed else { return }
        if problems.isEmpty {
            logger.info("\(subject): ok again")
        } else {
            logger.warning("\(subject): \(problems.joined(separator: "; "))")
        }
    }
}
