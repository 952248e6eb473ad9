import SluiceEvents
import SluiceJSON
import XCTest

/// `sluice produce`, the gateway and the demo feeder all stamp through
/// `EventStamp.stamp`; these pin what a stamped event looks like.
final class EventStampTests: XCTestCase {
    func stamp(_ fields: [String: JSONValue], workflow: String? = nil, traceparent: String? = nil) -> StampedEvent {
        EventStamp.stamp(
            fields, entry: "gateway", workflow: workflow, traceparent: traceparent, now: 42, makeID: { "new-id" })
    }

    func header(_ event: StampedEvent, _ name: String) -> String? { event.headers.text(named: name) }

    func testAnEventWithoutIDOrTimeGetsBoth() {
        let event = stamp(["text": .string("hi")])
        XCTAssertEqual(event.id, "new-id")
        XCTAssertEqual(event.fields, ["text": .string("hi"), "id": .string("new-id"), "created_at": .int(42)])
    }

    func testGivenIDAndTimeStayAndAnIntegerIDBecomesAString() {
        XCTAssertEqual(
            stamp(["text": .string("a"), "id": .string("e-1"), "created_at": .int(7)]).fields["id"], .string("e-1"))
        XCTAssertEqual(stamp(["text": .string("a"), "created_at": .int(7)]).fields["created_at"], .int(7))
        let numbered = stamp(["text": .string("a"), "id": .int(12)])
        XCTAssertEqual(numbered.id, "12")
        XCTAssertEqual(numbered.fields["id"], .string("12"))
        XCTAssertEqual(stamp(["text": .string("a"), "id": .null]).id, "new-id")
    }

    func testAMalformedIDIsLeftForTheWorkerToDeadLetter() {
        let event = stamp(["text": .string("a"), "id": .array([.int(1)])])
        XCTAssertEqual(event.fields["id"], .array([.int(1)]))
        XCTAssertThrowsError(try Envelope.decode(event.value, fallbackID: "x", fallbackCreatedAt: 0))
    }

    func testWorkflowIsSetOnlyWhenKnownAndAbsent() {
        XCTAssertNil(stamp(["text": .string("a")]).fields["workflow"])
        XCTAssertEqual(stamp(["text": .string("a")], workflow: "w").fields["workflow"], .string("w"))
        XCTAssertEqual(
            stamp(["text": .string("a"), "workflow": .string("mine")], workflow: "w").fields["workflow"],
            .string("mine"))
    }

    func testHeadersCarryTheTraceAndDescribeTheEvent() {
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let event = stamp(["text": .string("a"), "id": .string("e-1")], workflow: "w", traceparent: parent)
        let trace = TraceContext.parse(header(event, EventHeaders.traceparent) ?? "")
        XCTAssertEqual(trace?.traceID, "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertNotEqual(trace?.spanID, "00f067aa0ba902b7")
        XCTAssertEqual(header(event, EventHeaders.ceID), "e-1")
        XCTAssertEqual(header(event, EventHeaders.ceSource), "/sluice/w/gateway")
        XCTAssertEqual(header(event, EventHeaders.ceType), "dev.sluice.gateway")
        XCTAssertEqual(header(event, EventHeaders.ceSpecVersion), "1.0")
        XCTAssertEqual(header(event, EventHeaders.contentType), "application/json")
        XCTAssertEqual(event.headers.filter { $0.key == EventHeaders.traceparent }.count, 1)
    }

    func testWithoutAWorkflowOrAValidParentTheEventStartsItsOwnTrace() {
        let event = stamp(["text": .string("a")], traceparent: "garbage")
        XCTAssertNotNil(TraceContext.parse(header(event, EventHeaders.traceparent) ?? ""))
        XCTAssertEqual(header(event, EventHeaders.ceSource), "/sluice/gateway")
    }

    /// What any entry point stamps, a worker reads back as the same event.
    func testAStampedEventDecodesAsItWasStamped() throws {
        let event = stamp(["text": .string("hello"), "data": .object(["u": .int(1)])], workflow: "w")
        let decoded = try Envelope.decode(event.value, fallbackID: "fallback", fallbackCreatedAt: 0)
        XCTAssertEqual(
            decoded, Envelope(id: "new-id", workflow: "w", createdAt: 42, text: "hello", data: ["u": .int(1)]))
    }
}
