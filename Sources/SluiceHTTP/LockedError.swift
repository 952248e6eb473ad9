import Foundation

/// The error the server task ended with, for the thread waiting for the bind.
final class LockedError: @unchecked Sendable {
    private let lock = NSLock()
    private var error: (any Error)?
    func set(_ error: any Error) {
        lock.lock()
        self.error = error
        lock.unlock()
    }
    func get() -> (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return error
    }
}
