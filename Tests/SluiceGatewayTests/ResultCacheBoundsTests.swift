import Foundation
import SluiceGateway
import SluiceJSON
import XCTest

/// The result cache holds to its byte bound with large events, not only to its count.
final class ResultCacheBoundsTests: XCTestCase {
    private func event(_ id: String, textBytes: Int) -> EventResult {
        .done(.object(["id": .string(id), "text": .string(String(repeating: "x", count: textBytes))]))
    }

    func testLargeResultsAreEvictedByBytesOldestFirst() {
        let cache = ResultCache(capacity: 10_000, maxBytes: 1 << 20)
        for index in 0..<100 { cache.store(event("e-\(index)", textBytes: 100_000), for: "e-\(index)") }
        XCTAssertLessThanOrEqual(cache.bytes, 1 << 20)
        XCTAssertGreaterThanOrEqual(cache.bytes, (1 << 20) - 2 * 100_400, "the bound is used, not far under")
        XCTAssertEqual(cache.count, 10, "ten 100 kB results fit in 1 MiB")
        XCTAssertNotNil(cache.result(for: "e-99"))
        XCTAssertNotNil(cache.result(for: "e-90"))
        XCTAssertNil(cache.result(for: "e-89"))
        XCTAssertNil(cache.result(for: "e-0"))
    }

    func testTheCountBoundStillHoldsAndAReplacedResultIsNotEvictedByItsOldSlot() {
        let cache = ResultCache(capacity: 2, maxBytes: 1 << 20)
        cache.store(event("a", textBytes: 10), for: "a")
        cache.store(event("b", textBytes: 10), for: "b")
        cache.store(event("a", textBytes: 5_000), for: "a")  // replaced: now the newest
        cache.store(event("c", textBytes: 10), for: "c")
        XCTAssertEqual(cache.count, 2)
        XCTAssertNil(cache.result(for: "b"), "b was the oldest live result")
        XCTAssertEqual(cache.result(for: "a"), event("a", textBytes: 5_000))
        XCTAssertNotNil(cache.result(for: "c"))
        XCTAssertEqual(
            cache.bytes,
            ("a".utf8.count + event("a", textBytes: 5_000).estimatedBytes)
                + ("c".utf8.count + event("c", textBytes: 10).estimatedBytes),
            "only the replacement's bytes count for a")
    }

    func testReplacingTheSameIDsForeverKeepsTheCacheSmall() {
        let cache = ResultCache(capacity: 100, maxBytes: 1 << 20)
        for round in 0..<20_000 { cache.store(event("id-\(round % 10)", textBytes: 100), for: "id-\(round % 10)") }
        XCTAssertEqual(cache.count, 10)
        XCTAssertEqual(cache.bytes, 10 * ("id-0".utf8.count + event("id-0", textBytes: 100).estimatedBytes))
    }

    func testAResultLargerThanTheWholeBoundReachesItsWaiterButIsNotKept() async {
        let cache = ResultCache(capacity: 10, maxBytes: 1 << 20)
        cache.store(event("small", textBytes: 10), for: "small")
        let promise = cache.expect("huge")
        cache.store(event("huge", textBytes: 2 << 20), for: "huge")
        let value = await promise.value(timeoutMs: 1_000)
        XCTAssertEqual(value, event("huge", textBytes: 2 << 20))
        XCTAssertNil(cache.result(for: "huge"))
        XCTAssertNotNil(cache.result(for: "small"), "nothing else was evicted for it")
    }

    func testTheEstimateIsNeverBelowTheSerialisedSize() {
        let samples: [JSONValue] = [
            .object(["id": .string("x"), "text": .string("short")]),
            .object([
                "id": .string("y"), "text": .string(String(repeating: "é", count: 3_000)),
                "data": .object(["n": .int(1), "list": .array((0..<500).map { .double(Double($0) / 7) })]),
                "label": .object(["name": .string("markets"), "score": .double(0.93)]),
            ]),
        ]
        for sample in samples {
            XCTAssertGreaterThanOrEqual(EventResult.done(sample).estimatedBytes, sample.serialized().utf8.count)
        }
    }
}
