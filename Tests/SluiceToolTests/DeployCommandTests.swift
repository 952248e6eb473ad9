import Foundation
import SluiceTesting
import XCTest

/// `sluice deploy` through the built binary: refusals naming problem and fix; canary, promote, rollback, show.
final class DeployCommandTests: ToolTestCase {
    /// The committed sentiment head with `changes` applied, written to the test folder.
    private func headFile(_ name: String, _ changes: [String: Any]) throws -> String {
        let committed = PackagePaths.root.appendingPathComponent("models/sentiment-head.json")
        var root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: committed)) as? [String: Any])
        root.merge(changes) { _, new in new }
        let url = directory.appendingPathComponent(name)
        try JSONSerialization.data(withJSONObject: root).write(to: url)
        return url.path
    }

    func testDeployRefusesBadAnnouncementsNamingProblemAndFix() throws {
        let workflow = "topics/sentiment-monitoring.yaml"
        let good = try headFile("v2.json", ["version": "v2"])
        let f32 = { (n: Int) in Data(count: n * 4).base64EncodedString() }
        let tenD = try headFile(
            "ten-d.json",
            [
                "version": "ten-d", "kind": "softmax", "input_dimension": 10, "hidden_size": 0,
                "weights": ["weight": ["shape": [10, 3], "data": f32(30)], "bias": ["shape": [3], "data": f32(3)]],
            ])
        let otherModel = try headFile("other.json", ["version": "other", "model": "some-other-encoder@0000"])
        let corrupt = directory.appendingPathComponent("corrupt.json").path
        try Data(try Data(contentsOf: URL(fileURLWithPath: good)).prefix(3_000)).write(
            to: URL(fileURLWithPath: corrupt))
        let cases: [([String], [String])] = [
            (["--stage", "nope", "--head", good], ["unknown stage 'nope'", "features, topics, sentiment", "--stage"]),
            (
                ["--stage", "topics", "--head", good],
                ["stage 'topics' classifies zero-shot from labels", "only stages with a head"]
            ),
            (
                ["--stage", "sentiment", "--head", tenD],
                ["takes 10-dimensional embeddings", "receives 384-dimensional", "train a head"]
            ),
            (
                ["--stage", "sentiment", "--head", otherModel],
                ["trained on embeddings of 'some-other-encoder@0000'", "train the head on"]
            ),
            (
                ["--stage", "sentiment", "--head", corrupt],
                ["\(corrupt): not valid JSON", "corrupt or truncated", "sluice train"]
            ),
            (
                ["--stage", "sentiment", "--head", good, "--canary", "1.5"],
                ["--canary must be a fraction between 0 and 1"]
            ),
        ]
        for (arguments, expected) in cases {
            let result = try sluice(["deploy", "--workflow", workflow] + arguments)
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            for text in expected { XCTAssertTrue(result.stderr.contains(text), "\(arguments): \(result.stderr)") }
        }
        // Nothing was announced.
        let show = try sluice(["deploy", "show", "--workflow", workflow, "--stage", "sentiment"])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("nothing deployed"), show.stdout)
    }

    func testDeployCanaryPromoteRollbackAndShow() throws {
        let workflow = ["--workflow", "topics/sentiment-monitoring.yaml", "--stage", "sentiment"]
        let good = try headFile("v2.json", ["version": "v2"])
        let original = try XCTUnwrap(
            (JSONSerialization.jsonObject(
                with: Data(contentsOf: PackagePaths.root.appendingPathComponent("models/sentiment-head.json")))
                as? [String: Any])?[
                    "version"] as? String)

        let canary = try sluice(["deploy"] + workflow + ["--head", good, "--canary", "0.1"])
        XCTAssertEqual(canary.status, 0, canary.stderr)
        XCTAssertTrue(canary.stdout.contains("announced head \(original), v2 on sluice-control"), canary.stdout)
        XCTAssertTrue(canary.stdout.contains("active \(original), canary v2 on 10 % of events"), canary.stdout)

        let again = try sluice(["deploy"] + workflow + ["--head", good, "--canary", "0.1"])
        XCTAssertTrue(again.stdout.hasPrefix("unchanged: "), again.stdout)

        let promote = try sluice(["deploy", "promote"] + workflow)
        XCTAssertEqual(promote.status, 0, promote.stderr)
        XCTAssertTrue(promote.stdout.contains("active v2, previous \(original)"), promote.stdout)
        let noCanary = try sluice(["deploy", "promote"] + workflow)
        XCTAssertNotEqual(noCanary.status, 0)
        XCTAssertTrue(
            noCanary.stderr.contains("no canary") && noCanary.stderr.contains("--canary 0.1"), noCanary.stderr)

        let show = try sluice(["deploy", "show"] + workflow + ["--json"])
        XCTAssertEqual(show.status, 0, show.stderr)
        let state = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(state["active"] as? String, "v2")
        XCTAssertEqual(state["previous"] as? [String], [original])

        let rollback = try sluice(["deploy", "rollback"] + workflow)
        XCTAssertEqual(rollback.status, 0, rollback.stderr)
        XCTAssertTrue(rollback.stdout.contains("active \(original), no previous version"), rollback.stdout)

        // The same version with other content is refused; --version gives it its own.
        let changed = try headFile("v2b.json", ["version": "v2", "corpus_sha256": "changed"])
        let clash = try sluice(["deploy"] + workflow + ["--head", changed])
        XCTAssertNotEqual(clash.status, 0)
        XCTAssertTrue(
            clash.stderr.contains("'v2' was already announced") && clash.stderr.contains("--version V"), clash.stderr)
        let renamed = try sluice(["deploy"] + workflow + ["--head", good, "--version", "v3"])
        XCTAssertEqual(renamed.status, 0, renamed.stderr)
        XCTAssertTrue(renamed.stdout.contains("active v3"), renamed.stdout)
        let listed = try sluice(["deploy", "show"] + workflow)
        XCTAssertTrue(listed.stdout.contains("versions on sluice-control: \(original), v2, v3"), listed.stdout)
    }
}
