import Foundation
import SluiceKafka
import SluiceTesting
import XCTest

final class WorkerCommandTests: ToolTestCase {
    /// A worker whose dead-letter topic is missing used to retry deliveries for
    /// 30 s and rejoin, forever (compose turns topic auto-creation off). It now
    /// stops at start, naming the topic and the command that creates it.
    func testWorkerStopsAtStartNamingAMissingTopicAndTheFix() throws {
        let file = try write(
            "relay.yaml",
            """
            workflow: relay
            topics: { posts: {partitions: 1}, done: {partitions: 1}, dlq: {partitions: 1} }
            input: posts
            output: done
            dead_letter: dlq
            stages:
              - { name: relay, task: passthrough, input: posts, output: done }
            """)
        let admin = try KafkaAdmin(
            config: KafkaConfig(bootstrapServers: broker.bootstrapServers, clientID: "tool-test"))
        try admin.ensureTopic(KafkaNewTopic(name: "posts", partitions: 1))
        try admin.ensureTopic(KafkaNewTopic(name: "done", partitions: 1))

        let result = try sluice(["worker", "--workflow", file, "--stage", "relay", "--no-registry"], timeout: 60)
        XCTAssertNotEqual(result.status, 0, "a worker without its dead-letter topic must not start")
        XCTAssertTrue(result.stderr.contains("'dlq' (dead-letter)"), result.stderr)
        XCTAssertFalse(result.stderr.contains("'done'"), "only the missing topic is named: \(result.stderr)")
        XCTAssertTrue(result.stderr.contains("sluice topics apply"), result.stderr)
    }

    /// --precision names what it accepts, and only applies to embed stages.
    func testWorkerPrecisionErrorsSayWhatToDo() throws {
        let workflow = PackagePaths.root.appendingPathComponent("topics/sentiment-monitoring.yaml").path
        let unknown = try sluice(["worker", "--workflow", workflow, "--stage", "features", "--precision", "int4"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("use one of fp32, bf16, int8, auto"), unknown.stderr)
        let notEmbed = try sluice(["worker", "--workflow", workflow, "--stage", "sentiment", "--precision", "int8"])
        XCTAssertNotEqual(notEmbed.status, 0)
        XCTAssertTrue(notEmbed.stderr.contains("--precision applies to embed stages"), notEmbed.stderr)
    }

    /// `sluice embed --precision int8` writes the int8 engine's embeddings and says which kernel ran.
    func testEmbedInInt8SaysWhichKernelRan() throws {
        let result = try sluice(["embed", "--precision", "int8"], stdin: "delayed at ORD again\nnew phone\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("precision int8 (int8 "), result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 2)
    }
}

final class EvalCommandTests: ToolTestCase {
    /// `sluice eval topics` scores the shipped topics stage on a small CSV: the figures it
    /// prints add up (confusion matrix against the rows), and a label the stage cannot answer is named.
    func testEvalTopicsPrintsAccuracyPerLabelAndConfusion() throws {
        let csv = try write(
            "small.csv",
            """
            text,label
            "@united my flight is delayed four hours at ORD",travel
            "@JetBlue lost my bag again, worst airline",travel
            "The Patriots and Tom Brady, deflated footballs before the Super Bowl",sports
            "zzzz",nonsense
            """)
        let workflow = PackagePaths.root.appendingPathComponent("topics/sentiment-monitoring.yaml").path
        let result = try sluice(
            ["eval", "topics", "--workflow", workflow, "--stage", "topics", "--csv", csv, "--json"], timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        XCTAssertEqual(report["total"] as? Int, 4)
        XCTAssertEqual(report["unanswerable"] as? [String], ["nonsense"])
        let confusion = try XCTUnwrap(report["confusion"] as? [String: [String: Int]])
        XCTAssertEqual(confusion.values.flatMap(\.values).reduce(0, +), 4, "every row lands in the matrix once")
        let travel = try XCTUnwrap(confusion["travel"]?["travel"])
        let correct = try XCTUnwrap(report["correct"] as? Int)
        XCTAssertLessThanOrEqual(travel, correct)
        XCTAssertLessThanOrEqual(correct, 3, "the 'nonsense' row can never be right")

        let text = try sluice(["eval", "topics", "--workflow", workflow, "--stage", "topics", "--csv", csv])
        XCTAssertTrue(text.stdout.contains("accuracy"), text.stdout)
        XCTAssertTrue(text.stdout.contains("confusion (rows: true label, columns: answer)"), text.stdout)
        let wrongStage = try sluice(["eval", "topics", "--workflow", workflow, "--stage", "features", "--csv", csv])
        XCTAssertNotEqual(wrongStage.status, 0)
        XCTAssertTrue(wrongStage.stderr.contains("not classify; classify stages in"), wrongStage.stderr)
    }

    /// `sluice classify --workflow --stage` labels with the stage's own label set.
    func testClassifyWithAWorkflowStageUsesItsLabels() throws {
        let workflow = PackagePaths.root.appendingPathComponent("topics/sentiment-monitoring.yaml").path
        let result = try sluice(
            ["classify", "--workflow", workflow, "--stage", "topics"], stdin: "@united delayed again at ORD\n",
            timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)
        let line = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(result.stdout.split(separator: "\n")[0].utf8))
                as? [String: Any])
        let scores = try XCTUnwrap(line["scores"] as? [String: Double])
        XCTAssertEqual(
            Set(scores.keys).subtracting(["other"]),
            ["markets", "technology", "politics", "sports", "travel", "everyday"])
        XCTAssertEqual(scores.values.reduce(0, +), 1, accuracy: 1e-4)
        let missing = try sluice(["classify", "--stage", "topics"])
        XCTAssertTrue(missing.stderr.contains("needs --workflow FILE"), missing.stderr)
    }
}
