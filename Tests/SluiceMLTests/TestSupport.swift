import Foundation
import SluiceJSON
import SluiceML
import SluiceTesting

/// One encoder shared by every test (loading maps 90 MB; do it once).
enum Shared {
    static let encoder: MiniLMEncoder? = try? MiniLMEncoder(modelDirectory: modelDirectory)

    /// The package root, from this file's path (Tests/SluiceMLTests/TestSupport.swift).

    static var modelDirectory: String? {
        let dir = PackagePaths.root.appendingPathComponent(".deps/model").path
        return FileManager.default.fileExists(atPath: dir) ? dir : nil
    }

    /// The model's published outputs, in the repository (Fixtures/README.md says how they were made).
    static var goldenPath: String {
        PackagePaths.root.appendingPathComponent("Tests/SluiceMLTests/Fixtures/minilm-golden.jsonl").path
    }

    struct GoldenRow {
        let text: String
        let ids: [Int32]
        let embedding: [Float]
    }

    static func golden() throws -> [GoldenRow] {
        guard let data = FileManager.default.contents(atPath: goldenPath) else { return [] }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            let v = try JSONValue.parse(String(line))
            return GoldenRow(
                text: v["text"]?.stringValue ?? "",
                ids: (v["input_ids"]?.arrayValue ?? []).map { Int32($0.intValue ?? -1) },
                embedding: (v["embedding"]?.arrayValue ?? []).map { Float($0.doubleValue ?? .nan) })
        }
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var ab = 0.0
        var aa = 0.0
        var bb = 0.0
        for i in 0..<min(a.count, b.count) {
            ab += Double(a[i]) * Double(b[i])
            aa += Double(a[i]) * Double(a[i])
            bb += Double(b[i]) * Double(b[i])
        }
        return ab / (aa.squareRoot() * bb.squareRoot())
    }
}
