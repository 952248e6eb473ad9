import Foundation
import SluiceTesting
import SluiceWorkflow
import XCTest

final class WorkflowFileTests: XCTestCase {

    func testShippedExampleLoadsAndChecks() throws {
        let path = PackagePaths.root.appendingPathComponent("topics/sentiment-monitoring.yaml").path
        let workflow = try Workflow.load(path: path)
        XCTAssertEqual(workflow.name, "sentiment-monitoring")
        XCTAssertEqual(workflow.stages.map(\.name), ["features", "topics", "sentiment"])
        XCTAssertEqual(workflow.stages.map(\.task), [.embed, .classify, .sentiment])
        XCTAssertEqual(workflow.topic(named: "posts")?.partitions, 4)
        XCTAssertEqual(workflow.topic(named: "posts")?.config["retention.ms"], "86400000")
        XCTAssertEqual(workflow.stages[1].labels.count, 6)
        XCTAssertEqual(workflow.group(of: workflow.stages[0]), "sentiment-monitoring.features")
    }

    func testTopicsOnlyFileReadsTopics() throws {
        let path = PackagePaths.root.appendingPathComponent("topics/sentiment-monitoring.yaml").path
        let topics = try Workflow.loadTopics(path: path)
        XCTAssertEqual(
            topics.map(\.name),
            ["posts", "features", "labelled", "scored", "dead-letters", "metrics", "alerts", "trends"])
    }

    /// Each malformed file must fail with the line and the key named.
    func testErrorsNameKeyAndLine() {
        let base = """
            workflow: w
            topics:
              a: { partitions: 2 }
              b: { partitions: 2 }
              dlq: { partitions: 1 }
            input: a
            output: b
            dead_letter: dlq
            stages:
              - name: s
                task: passthrough
                input: a
                output: b
            """
        XCTAssertNoThrow(try Workflow.parse(base))
        let cases: [(String, String, Int, String)] = [
            ("a: { partitions: 2 }", "a: { partitons: 2 }", 3, "topics.a.partitons: unknown key"),
            ("a: { partitions: 2 }", "a: { partitions: two }", 3, "topics.a.partitions: expected a whole number"),
            ("a: { partitions: 2 }", "a: { partitions: 0 }", 3, "must be at least 1"),
            ("task: passthrough", "task: translate", 11, "stages[0].task: unknown task 'translate'"),
            ("    output: b", "    output: a", 10, "reads its own output topic"),
            ("    task: passthrough", "    task: sentiment", 10, "needs an embedding"),
            ("dead_letter: dlq", "dead_letter: nowhere", 1, "dead_letter topic 'nowhere' is not declared"),
            ("    input: a", "    input: dlq", 10, "neither the workflow input nor an earlier stage"),
            ("    output: b", "    output: b\n    precision: int8", 14, "applies to embed stages only"),
            (
                "    task: passthrough\n    input: a\n    output: b",
                "    task: embed\n    input: a\n    output: b\n    precision: int4", 14,
                "unknown precision 'int4'; expected one of: fp32, bf16, int8, auto"
            ),
        ]
        for (from, to, line, message) in cases {
            let text = base.replacingOccurrences(of: from, with: to)
            XCTAssertNotEqual(text, base, "case \(to) did not change the file")
            do {
                _ = try Workflow.parse(text, file: "w.yaml")
                XCTFail("expected an error for \(to)")
            } catch {
                XCTAssertEqual(error.line, line, "\(error)")
                XCTAssertTrue(error.description.contains(message), "\(error) lacks '\(message)'")
                XCTAssertTrue(error.description.hasPrefix("w.yaml:"), "\(error)")
            }
        }
    }

    /// Topics a -> b -> c and a dead-letter topic; the stages follow.
    static let twoStageHeader = """
        workflow: w
        topics: { a: { partitions: 1 }, b: { partitions: 1 }, c: { partitions: 1 }, dlq: { partitions: 1 } }
        input: a
        output: c
        dead_letter: dlq
        stages:

        """

    /// An embed stage's precision is read as written; without one it is nil (fp32).
    func testEmbedStagePrecision() throws {
        let text =
            Self.twoStageHeader + """
                  - { name: e, task: embed, input: a, output: b, precision: int8 }
                  - { name: f, task: embed, input: b, output: c }
                """
        let workflow = try Workflow.parse(text)
        XCTAssertEqual(workflow.stage(named: "e")?.precision, "int8")
        XCTAssertNil(workflow.stage(named: "f")?.precision)
    }

    /// A renamed copy of the shipped file: the workflow and every topic renamed, the rest as written.
    func testRenamedTextRenamesEveryTopicAndKeepsTheRest() throws {
        let path = PackagePaths.root.appendingPathComponent("topics/sentiment-monitoring.yaml").path
        let original = try Workflow.load(path: path)
        let text = try Workflow.renamedText(String(contentsOfFile: path, encoding: .utf8), suffix: "r1")
        let renamed = try Workflow.parse(text)
        XCTAssertEqual(renamed.name, "sentiment-monitoring-r1")
        XCTAssertEqual(renamed.topics.map(\.name), original.topics.map { "\($0.name)-r1" })
        XCTAssertEqual(renamed.topics.map(\.partitions), original.topics.map(\.partitions))
        XCTAssertEqual(
            [renamed.input, renamed.output, renamed.deadLetter], ["posts-r1", "scored-r1", "dead-letters-r1"])
        XCTAssertEqual(renamed.stages.map(\.input), original.stages.map { "\($0.input)-r1" })
        XCTAssertEqual(renamed.stages.map(\.output), original.stages.map { "\($0.output)-r1" })
        XCTAssertEqual(renamed.stages.map(\.name), original.stages.map(\.name))
        XCTAssertEqual(renamed.stages[1].labels, original.stages[1].labels)
        XCTAssertEqual(renamed.stages.map(\.batchLatencyMs), original.stages.map(\.batchLatencyMs))
        XCTAssertThrowsError(try Workflow.renamedText("- a list", suffix: "x"))
    }

    /// `batch` takes a size (or `max`), a fixed wait, or a latency goal that caps the wait.
    func testBatchSizeWaitAndLatencyGoal() throws {
        let text =
            Self.twoStageHeader + """
                  - { name: e, task: passthrough, input: a, output: b, batch: { max: 16, latency_ms: 40 } }
                  - { name: f, task: passthrough, input: b, output: c, batch: { size: 8, wait_ms: 5, latency_ms: 30 } }
                """
        let workflow = try Workflow.parse(text)
        let goal = try XCTUnwrap(workflow.stage(named: "e"))
        XCTAssertEqual([goal.batchSize, goal.batchWaitMs, goal.batchLatencyMs], [16, 40, 40])
        let both = try XCTUnwrap(workflow.stage(named: "f"))
        XCTAssertEqual([both.batchSize, both.batchWaitMs, both.batchLatencyMs], [8, 5, 30])
        let plain = try Workflow.parse(
            Self.twoStageHeader + "  - { name: e, task: passthrough, input: a, output: c, batch: { size: 4 } }")
        XCTAssertNil(plain.stages[0].batchLatencyMs)
        XCTAssertEqual(plain.stages[0].batchWaitMs, 20)

        let twice =
            Self.twoStageHeader + "  - { name: e, task: passthrough, input: a, output: c, batch: { size: 4, max: 8 } }"
        XCTAssertThrowsError(try Workflow.parse(twice)) { error in
            XCTAssertTrue("\(error)".contains("both 'size' and 'max'"), "\(error)")
        }
        let zero =
            Self.twoStageHeader + "  - { name: e, task: passthrough, input: a, output: c, batch: { latency_ms: 0 } }"
        XCTAssertThrowsError(try Workflow.parse(zero)) { error in
            XCTAssertTrue("\(error)".contains("latency_ms"), "\(error)")
        }
    }

    /// A label is a list of descriptions or {descriptions, examples}; other_below is a classify key.
    func testClassifyLabelsWithExamplesAndOther() throws {
        let text =
            Self.twoStageHeader + """
                  - { name: e, task: embed, input: a, output: b }
                  - name: t
                    task: classify
                    input: b
                    output: c
                    other_below: 0.25
                    labels:
                      travel:
                        descriptions: [flights and airports]
                        examples: ["@united delayed again", "lost my bag at ORD"]
                      sports: [football, a match]
                      quiet: { examples: ["nothing to see"] }
                """
        let stage = try XCTUnwrap(try Workflow.parse(text).stage(named: "t"))
        XCTAssertEqual(stage.otherBelow, 0.25)
        XCTAssertEqual(
            stage.labels,
            [
                LabelDescription(
                    name: "travel", descriptions: ["flights and airports"],
                    examples: ["@united delayed again", "lost my bag at ORD"]),
                LabelDescription(name: "sports", descriptions: ["football", "a match"]),
                LabelDescription(name: "quiet", descriptions: [], examples: ["nothing to see"]),
            ])
        let bad: [(String, String, String)] = [
            (
                "examples: [\"nothing to see\"]", "exemples: [\"x\"]",
                "unknown key; expected one of: descriptions, examples"
            ),
            ("{ examples: [\"nothing to see\"] }", "{}", "label 'quiet' needs 'descriptions' or 'examples'"),
            ("  sports: [football, a match]", "  other: [none]", "clashes with 'other_below'"),
            ("other_below: 0.25", "other_below: 2", "other_below"),
        ]
        for (from, to, message) in bad {
            let changed = text.replacingOccurrences(of: from, with: to)
            XCTAssertNotEqual(changed, text, to)
            XCTAssertThrowsError(try Workflow.parse(changed), to) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error) lacks '\(message)'")
            }
        }
    }

    /// Found by the fuzz harness (Tests/FuzzCorpus/workflow/duplicate-topic.yaml): a topic
    /// declared twice was accepted, and the two entries disagreed on its partitions.
    func testRepeatedKeysAreRefused() {
        let cases: [(String, Int, String)] = [
            (
                "workflow: w\ntopics:\n  a: { partitions: 2 }\n  a: { partitions: 9 }\n", 4,
                "topics.a: 'a' is given twice"
            ),
            ("workflow: w\nworkflow: other\n", 2, "workflow: 'workflow' is given twice"),
            (
                "workflow: w\ntopics:\n  a: { partitions: 2, partitions: 3 }\n", 3,
                "topics.a.partitions: 'partitions' is given twice"
            ),
        ]
        for (text, line, message) in cases {
            XCTAssertThrowsError(try Workflow.parse(text, file: "w.yaml"), text) { error in
                let error = error as! WorkflowError
                XCTAssertEqual(error.line, line, "\(error)")
                XCTAssertTrue(error.description.contains(message), "\(error) lacks '\(message)'")
            }
        }
    }

    func testYAMLSyntaxErrorNamesLine() {
        XCTAssertThrowsError(try Workflow.parse("workflow: w\ntopics: [a\ninput: a\n", file: "bad.yaml")) { error in
            let error = error as! WorkflowError
            XCTAssertGreaterThan(error.line, 1)
            XCTAssertTrue(error.description.contains("not valid YAML"), "\(error)")
        }
    }
}

extension WorkflowFileTests {
    /// `autoscale:` and `cost_ms` are read as written; the bounds are checked against the input's partitions.
    func testAutoscaleAndCostAreReadAndChecked() throws {
        let header = """
            workflow: w
            topics:
              a: { partitions: 4 }
              b: { partitions: 4 }
              dlq: { partitions: 1 }
            input: a
            output: b
            dead_letter: dlq
            stages:

            """
        let workflow = try Workflow.parse(
            header + """
                  - { name: s, task: passthrough, input: a, output: b, cost_ms: 20, autoscale: { min: 2, max: 4, cooldown_s: 15 } }
                """)
        let stage = try XCTUnwrap(workflow.stage(named: "s"))
        XCTAssertEqual(stage.costMs, 20)
        XCTAssertEqual(stage.autoscale, AutoscaleSpec(min: 2, max: 4, cooldownSeconds: 15))
        XCTAssertNil(
            try Workflow.parse(header + "      - { name: s, task: passthrough, input: a, output: b }").stages[0]
                .autoscale)

        func error(_ stage: String) -> String {
            do {
                _ = try Workflow.parse(header + "      - " + stage)
                return "no error"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(
            error("{ name: s, task: passthrough, input: a, output: b, autoscale: { max: 8 } }")
                .contains("autoscale bound 8 is above the 4 partitions of 'a'"))
        XCTAssertTrue(
            error("{ name: s, task: passthrough, input: a, output: b, autoscale: { min: 3, max: 2 } }")
                .contains("max 2 below min 3"))
        XCTAssertTrue(
            error("{ name: s, task: passthrough, input: a, output: b, autoscale: { most: 2 } }").contains("most"))
        XCTAssertTrue(
            error("{ name: s, task: embed, input: a, output: b, cost_ms: 5 }").contains("passthrough stages only"))
    }
}
