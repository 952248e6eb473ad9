import Foundation
import SluiceBench
import XCTest

/// The readings `sluice bench pipeline`'s CPU budget is made of: a process's own CPU seconds
/// from /proc, per process, over a span.
final class ProcessCPUTests: XCTestCase {
    func testBudgetTellsABusyProcessFromASleepingOne() throws {
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer { sleeper.terminate() }
        let gone: Int32 = 2_147_483_646  // above any pid_max: no such process

        let meter = CPUBudget.Meter([
            ("self", getpid()), ("sleeper", sleeper.processIdentifier), ("gone", gone),
        ])
        // Busy on this thread until it has used 0.3 CPU seconds (bounded: 20 s of wall clock).
        let start = try XCTUnwrap(ProcessCPU.ownSeconds)
        let deadline = Date().addingTimeInterval(20)
        var sink = 0.0
        while (ProcessCPU.ownSeconds ?? start) - start < 0.3 && Date() < deadline {
            for i in 0..<100_000 { sink += Double(i).squareRoot() }
        }
        XCTAssertGreaterThan(sink, 0)
        let budget = meter.finish()

        XCTAssertEqual(budget.entries.map(\.name), ["self", "sleeper"], "a process that is not there is left out")
        XCTAssertGreaterThanOrEqual(budget.entries[0].seconds, 0.3)
        XCTAssertLessThan(budget.entries[1].seconds, 0.1, "a sleeping process uses next to no CPU")
        XCTAssertEqual(budget.totalSeconds, budget.entries[0].seconds + budget.entries[1].seconds, accuracy: 1e-9)
        XCTAssertGreaterThan(budget.wallSeconds, 0)
        XCTAssertNil(ProcessCPU.seconds(pid: gone))
    }
}
