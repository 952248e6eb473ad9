import Foundation
import SluiceKafka
import XCTest

/// `sluice worker` under its ServiceGroup: SIGTERM, and a service that cannot start.
final class WorkerLifecycleTests: ToolTestCase {
    /// SIGTERM mid-stream: the worker finishes and commits the batch in hand, leaves with
    /// status 0, and a second worker that takes over processes exactly the rest: no event
    /// is delivered twice (its /metrics counts it) and none is lost.
    func testSigtermCommitsTheLastBatchSoTheNextWorkerRedeliversNothing() throws {
        let file = try relayFile(batchSize: 5, waitMs: 5)
        XCTAssertEqual(try sluice(["topics", "apply", file]).status, 0)
        let count = 3_000
        try produceEvents(range: 0..<count)

        let first = try startWorker(file)
        defer { first.stopIfRunning() }
        let firstURL = try first.metricsURL(timeout: 60)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, (Self.sample(WorkerMetric.processed, in: (try? scrape(firstURL)) ?? "") ?? 0) < 100 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(first.process.processIdentifier, SIGTERM)
        XCTAssertTrue(first.waitForExit(timeout: 30), "the worker stops on SIGTERM")
        XCTAssertEqual(first.process.terminationStatus, 0, first.log)
        XCTAssertTrue(first.log.contains("last batch committed"), first.log)
        // "stopped after N records in M batches"
        let said = try XCTUnwrap(
            first.log.range(of: #"stopped after \d+ records"#, options: .regularExpression).map { first.log[$0] },
            first.log)
        let done = try XCTUnwrap(Int(said.split(separator: " ")[2]))
        XCTAssertGreaterThan(done, 0)
        XCTAssertLessThan(done, count, "SIGTERM came mid-stream: the second worker has the rest to do")

        let second = try startWorker(file)
        defer { second.stopIfRunning() }
        let secondURL = try second.metricsURL(timeout: 60)
        var processed: Double?
        let until = Date().addingTimeInterval(90)
        while Date() < until {
            processed = Self.sample(WorkerMetric.processed, in: (try? scrape(secondURL)) ?? "")
            if processed == Double(count - done) { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        Thread.sleep(forTimeInterval: 2)  // anything redelivered would show up by now
        processed = Self.sample(WorkerMetric.processed, in: (try? scrape(secondURL)) ?? "")
        XCTAssertEqual(processed, Double(count - done), "the second worker reads from the first one's last commit")

        let ids = try readDoneIDs(count: count, timeout: 60)
        XCTAssertEqual(ids.count, count, "every event once on the output, no duplicate")
        XCTAssertEqual(Set(ids).count, count)
        kill(second.process.processIdentifier, SIGTERM)
        XCTAssertTrue(second.waitForExit(timeout: 30))
        XCTAssertEqual(second.process.terminationStatus, 0, second.log)
    }

    /// A service of the command's group that fails at start (here /metrics on a port in
    /// use) ends the command: the error is printed and the status is non-zero.
    func testServiceFailingAtStartFailsTheCommandWithItsError() throws {
        let file = try relayFile(batchSize: 5)
        XCTAssertEqual(try sluice(["topics", "apply", file]).status, 0)
        let taken = try ListeningSocket()
        defer { taken.close() }
        let result = try sluice(
            [
                "worker", "--workflow", file, "--stage", "relay", "--no-registry", "--no-control",
                "--metrics-port", String(taken.port),
            ], timeout: 60)
        XCTAssertNotEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertTrue(
            result.stderr.contains("cannot serve metrics on 127.0.0.1:\(taken.port)"), result.stdout + result.stderr)
    }
}

/// A TCP socket listening on a free loopback port, to make that port busy.
final class ListeningSocket {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(descriptor, pointer, length) == 0 && listen(descriptor, 1) == 0
                    && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw ScrapeError(description: "could not listen on a loopback port: errno \(errno)") }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(descriptor) }
}
