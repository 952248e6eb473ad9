import SluiceEvents
import XCTest

/// Every Sluice reader takes the last of repeated headers (`HeaderLookup`).
final class HeaderLookupTests: XCTestCase {
    func testTheLastOfRepeatedHeadersWins() {
        let headers = [EventHeader("a", "old"), EventHeader("b", "x"), EventHeader("a", "new")]
        XCTAssertEqual(headers.text(named: "a"), "new")
        XCTAssertEqual(headers.text(named: "b"), "x")
        XCTAssertNil(headers.text(named: "c"))
    }

    /// Kafka headers may have a null value: the last header's null is the answer, not an older value.
    func testANullValueIsNoValue() {
        let headers: [(key: String, value: [UInt8]?)] = [("a", Array("old".utf8)), ("a", nil)]
        XCTAssertNil(HeaderLookup.text("a", in: headers, key: \.key, value: \.value))
        XCTAssertEqual(
            HeaderLookup.value("a", in: Array(headers.prefix(1)), key: \.key, value: \.value), Array("old".utf8))
    }

    /// A relay that appends its own traceparent after the one it received continues its own span.
    func testOutgoingHeadersContinueTheLastTraceparent() {
        let first = "00-11111111111111111111111111111111-1111111111111111-01"
        let last = "00-22222222222222222222222222222222-2222222222222222-01"
        let out = EventHeaders.outgoing(
            incoming: [EventHeader(EventHeaders.traceparent, first), EventHeader(EventHeaders.traceparent, last)],
            eventID: "e", workflow: "w", stage: "s")
        XCTAssertEqual(
            TraceContext.parse(out.text(named: EventHeaders.traceparent) ?? "")?.traceID,
            String(repeating: "2", count: 32))
    }
}
