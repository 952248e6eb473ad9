import Foundation
import SluiceBroker
import SluiceTesting
import XCTest
import Yams

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Reading compose/kubernetes/ and running the built `sluice`, for the Kubernetes tests.
extension KubernetesFileTests {
    static var binary: URL { PackagePaths.sluiceBinary }

    static func requireBinary() throws {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip(
                "\(binary.path) is not built: run `swift build -c release --product sluice` (make test does)")
        }
    }

    struct Document {
        let file: String
        let object: [String: Any]
        var kind: String { object["kind"] as? String ?? "" }
        var name: String { KubernetesFileTests.dig(object, "metadata", "name") as? String ?? "" }
        var namespace: String? { KubernetesFileTests.dig(object, "metadata", "namespace") as? String }
    }

    /// Every document of every compose/kubernetes/*.yaml (kubectl's multi-document files).
    static func documents() throws -> [Document] {
        let folder = PackagePaths.file(directory)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
        var result: [Document] = []
        for file in files.sorted() {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            // YamlSequence keeps a parse error aside instead of throwing it from next().
            var sequence = try Yams.load_all(yaml: text)
            var index = 0
            while let document = sequence.next() {
                index += 1
                let object = try XCTUnwrap(document as? [String: Any], "\(file): document \(index) is not a mapping")
                result.append(Document(file: file, object: object))
            }
            if let error = sequence.error { throw error }
        }
        return result
    }

    struct Stage {
        let name: String
        let input: String
        let partitions: Int
    }

    static func workflow() throws -> (name: String, stages: [Stage]) {
        let text = try String(contentsOf: PackagePaths.file(workflowFile), encoding: .utf8)
        let workflow = try XCTUnwrap(try Yams.load(yaml: text) as? [String: Any])
        let topics = try XCTUnwrap(workflow["topics"] as? [String: Any])
        let stages = try XCTUnwrap(workflow["stages"] as? [[String: Any]]).map { stage in
            let input = try XCTUnwrap(stage["input"] as? String)
            return Stage(
                name: try XCTUnwrap(stage["name"] as? String), input: input,
                partitions: dig(topics, input, "partitions") as? Int ?? 1)
        }
        return (try XCTUnwrap(workflow["workflow"] as? String), stages)
    }

    /// The Deployments whose container runs `sluice worker`, with the stage each runs.
    static func workerDeployments(_ documents: [Document]) -> [(Document, stage: String)] {
        documents.compactMap { document in
            guard document.kind == "Deployment", let line = containers(document).first.map(Self.args),
                line.first == "worker", let stage = value(after: "--stage", in: line)
            else { return nil }
            return (document, stage)
        }
    }

    static func dig(_ object: Any?, _ keys: String...) -> Any? {
        keys.reduce(object) { ($0 as? [String: Any])?[$1] }
    }

    static func podSpec(_ document: Document) -> [String: Any]? {
        dig(document.object, "spec", "template", "spec") as? [String: Any]
    }

    static func containers(_ document: Document) -> [[String: Any]] {
        podSpec(document)?["containers"] as? [[String: Any]] ?? []
    }

    static func args(_ container: [String: Any]) -> [String] {
        (container["args"] as? [Any] ?? []).map { "\($0)" }
    }

    static func environment(_ container: [String: Any]) -> [String: String] {
        let pairs = (container["env"] as? [[String: Any]] ?? []).compactMap { entry -> (String, String)? in
            guard let name = entry["name"] as? String, let value = entry["value"] else { return nil }
            return (name, "\(value)")
        }
        return Dictionary(pairs, uniquingKeysWith: { $1 })
    }

    static func containerPorts(_ container: [String: Any]) -> [Int] {
        (container["ports"] as? [[String: Any]] ?? []).compactMap { $0["containerPort"] as? Int }
    }

    static func value(after flag: String, in command: [String]) -> String? {
        guard let index = command.firstIndex(of: flag), index + 1 < command.count else { return nil }
        return command[index + 1]
    }

    static func labels(_ selector: [String: Any], areIn podLabels: Any?) -> Bool {
        let labels = podLabels as? [String: Any] ?? [:]
        return !selector.isEmpty && selector.allSatisfy { labels[$0.key] as? String == $0.value as? String }
    }

    /// A Deployment whose selector does not match its pods' labels is rejected by the API server.
    static func assertSelectorMatchesTemplate(_ deployment: Document) throws {
        let selector = try XCTUnwrap(
            dig(deployment.object, "spec", "selector", "matchLabels") as? [String: Any], deployment.name)
        XCTAssertTrue(
            labels(selector, areIn: dig(deployment.object, "spec", "template", "metadata", "labels")), deployment.name)
    }

    /// The metric selectors of a PromQL query: `name{label="value",...}` each.
    static func selectors(in query: String) throws -> [(metric: String, labels: [String: String])] {
        let selector = try NSRegularExpression(pattern: #"([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}"#)
        return matches(selector, in: query).map { ($0[1], labelPairs($0[2])) }
    }

    /// One Prometheus exposition's samples: `name{labels} value` per line, comments skipped.
    static func samples(in text: String) -> [(metric: String, labels: [String: String])] {
        text.split(separator: "\n").compactMap { line -> (metric: String, labels: [String: String])? in
            guard !line.hasPrefix("#"), let end = line.firstIndex(where: { $0 == "{" || $0 == " " }) else { return nil }
            let labels = line[end] == "{" ? String(line[line.index(after: end)...].prefix { $0 != "}" }) : ""
            return (String(line[..<end]), labelPairs(labels))
        }
    }

    static func labelPairs(_ text: String) -> [String: String] {
        let pair = try! NSRegularExpression(pattern: #"([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"([^"]*)""#)
        return Dictionary(matches(pair, in: text).map { ($0[1], $0[2]) }, uniquingKeysWith: { $1 })
    }

    /// Each match's capture groups, group 0 the whole match.
    static func matches(_ expression: NSRegularExpression, in text: String) -> [[String]] {
        let whole = NSRange(text.startIndex..., in: text)
        return expression.matches(in: text, range: whole).map { match in
            (0..<match.numberOfRanges).map { Range(match.range(at: $0), in: text).map { String(text[$0]) } ?? "" }
        }
    }

    struct Outcome {
        var status: Int32
        var output: String
    }

    /// Runs `sluice` in the package root, stdout and stderr to a file (a full pipe can
    /// never stall it), for at most `timeout` seconds.
    static func run(_ arguments: [String], timeout: TimeInterval = 60) throws -> Outcome {
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-k8s-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outURL) }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = PackagePaths.root
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "200"
        process.environment = environment
        let handle = try FileHandle(forWritingTo: outURL)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            XCTFail("sluice \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        try handle.close()
        return Outcome(
            status: process.terminationStatus, output: String(decoding: try Data(contentsOf: outURL), as: UTF8.self))
    }

    /// GET `url`'s body; throws on a transport error or a status other than 200.
    static func scrape(_ url: URL) throws -> String {
        let done = DispatchSemaphore(value: 0)
        let box = ScrapeResult()
        URLSession.shared.dataTask(with: url) { data, response, _ in
            if (response as? HTTPURLResponse)?.statusCode == 200, let data {
                box.set(String(decoding: data, as: UTF8.self))
            }
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + 10) == .success, let body = box.body else {
            throw ScrapeFailure(description: "GET \(url): no 200 within 10 s")
        }
        return body
    }
}

struct ScrapeFailure: Error, CustomStringConvertible {
    let description: String
}

/// The body a URLSession callback hands back to the waiting test thread.
final class ScrapeResult: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: String?
    func set(_ body: String) { lock.withLock { stored = body } }
    var body: String? { lock.withLock { stored } }
}
