import KeywordStage
import SluiceEvents
import SluiceJSON
import SluicePipeline
import XCTest

/// The ranking and the stage's results without a broker.
final class KeywordsTests: XCTestCase {
    func testCountsAcrossCaseAndPunctuationAndDropsStopwords() {
        XCTAssertEqual(
            Keywords.top("Swift, swift! SWIFT and the Kafka... kafka-streams of it"),
            [.init("swift", 3), .init("kafka", 2), .init("streams", 1)])
    }

    func testTiesGoAlphabeticallyAndOnlyFiveAreKept() {
        XCTAssertEqual(
            Keywords.top("pear apple fig apple pear kiwi date fig banana").map(\.word),
            ["apple", "fig", "pear", "banana", "date"])
    }

    func testDigitsAndApostrophesSplitWords() {
        XCTAssertEqual(Keywords.top("it's 2024: don't panic4ever").map(\.word), ["don", "ever", "panic"])
    }

    func testTheStageAddsTermsAndFailsAnEventWithNoneAlone() throws {
        let events = [
            Envelope(id: "a", createdAt: 1, text: "tea tea coffee"),
            Envelope(id: "b", createdAt: 1, text: "to be or not to be, 42"),
        ]
        let results = KeywordStage().process(events)
        XCTAssertEqual(results.count, 2, "one result per event, in order")
        let first = try results[0].get()
        XCTAssertEqual(
            first.results["keywords"],
            .array([
                .object(["term": .string("tea"), "count": .int(2)]),
                .object(["term": .string("coffee"), "count": .int(1)]),
            ]))
        guard case .failure(let error) = results[1] else { return XCTFail("a text of stopwords has no keywords") }
        XCTAssertEqual(error.reason, KeywordStage.noKeywords)
    }

    func testTheCatalogKnowsTheTaskAndRefusesItTwice() throws {
        var catalog = StageCatalog.builtIn
        try catalog.register(KeywordStage.task) { _ in KeywordStage() }
        XCTAssertEqual(catalog.tasks.map(\.rawValue), ["embed", "classify", "sentiment", "passthrough", "keywords"])
        XCTAssertThrowsError(try catalog.register(KeywordStage.task) { _ in KeywordStage() }) {
            XCTAssertTrue("\($0)".contains("already registered"), "\($0)")
        }
    }
}
