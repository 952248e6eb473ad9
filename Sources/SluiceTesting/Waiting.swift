import Foundation
import XCTest

/// Polls `condition` every `interval` until it holds; fails the calling test and throws
/// after `timeout`, naming `what` was awaited. Every wait in the suites is bounded this way.
public func waitUntil(
    _ what: String, timeout: TimeInterval, interval: TimeInterval = 0.05, file: StaticString = #filePath,
    line: UInt = #line, _ condition: () throws -> Bool
) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while try !condition() {
        guard Date() < deadline else {
            XCTFail("timed out after \(timeout) s waiting for \(what)", file: file, line: line)
            throw WaitTimeout(what: what, timeout: timeout)
        }
        Thread.sleep(forTimeInterval: interval)
    }
}

/// What `waitUntil` throws when its condition never held.
public struct WaitTimeout: Error, CustomStringConvertible {
    public let what: String
    public let timeout: TimeInterval
    public var description: String { "timed out after \(timeout) s waiting for \(what)" }
}
