import Foundation
import SluiceML
import Synchronization
import XCTest

/// Inputs that must not crash, and model files that must fail clearly.
final class MiniLMEdgeCaseTests: XCTestCase {
    func encoder() throws -> MiniLMEncoder {
        guard let e = Shared.encoder else { throw XCTSkip("model not set up (make setup)") }
        return e
    }

    func assertUnitVector(_ v: [Float], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(v.count, 384, file: file, line: line)
        XCTAssertTrue(v.allSatisfy(\.isFinite), file: file, line: line)
        XCTAssertEqual(Double(v.reduce(0) { $0 + $1 * $1 }), 1, accuracy: 1e-4, file: file, line: line)
    }

    func testEmptyAndWhitespaceOnlyGiveClsSep() throws {
        let e = try encoder()
        for text in ["", "   ", "\t\n \r", "\u{3000}\u{00A0}"] {
            XCTAssertEqual(e.tokenize(text), [101, 102], text.debugDescription)
        }
        for v in try e.embed(["", "   "]) { assertUnitVector(v) }
        XCTAssertEqual(try e.embed([]).count, 0)
    }

    func testVeryLongTextIsTruncatedTo256() throws {
        let e = try encoder()
        let text = String(repeating: "streaming embeddings over kafka ", count: 3_200).prefix(100_000)
        XCTAssertEqual(text.count, 100_000)
        let ids = e.tokenize(String(text))
        XCTAssertEqual(ids.count, 256)
        XCTAssertEqual(ids.first, 101)
        XCTAssertEqual(ids.last, 102)
        let single = String(repeating: "x", count: 100_000)  // one word over 100 chars → [UNK]
        XCTAssertEqual(e.tokenize(single), [101, 100, 102])
        assertUnitVector(try e.embed([String(text)])[0])
    }

    func testInvalidUTF8IsReplacedThenDropped() throws {
        let e = try encoder()
        let bytes: [UInt8] = [0x68, 0x69, 0xFF, 0xC3, 0x28, 0x20, 0x74, 0x68, 0x65, 0x72, 0x65, 0xED, 0xA0, 0x80]
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.unicodeScalars.contains("\u{FFFD}"))
        XCTAssertEqual(e.tokenize(text), e.tokenize("hi( there"))
        assertUnitVector(try e.embed([text])[0])
    }

    func testBatchOfMixedLengthsKeepsInputOrder() throws {
        let e = try encoder()
        let texts = ["short", String(repeating: "a much longer sentence ", count: 20), "", "medium length text here"]
        let batch = try e.embed(texts)
        for (i, t) in texts.enumerated() {
            XCTAssertGreaterThanOrEqual(Shared.cosine(batch[i], try e.embed([t])[0]), 0.99999)
        }
    }

    func testModelIDNamesWeights() throws {
        let e = try encoder()
        XCTAssertTrue(e.modelID.hasPrefix("all-MiniLM-L6-v2@"), e.modelID)
        XCTAssertEqual(e.modelID.count, "all-MiniLM-L6-v2@".count + 8)
        XCTAssertEqual(e.dimension, 384)
    }

    // MARK: broken model directories

    /// A temp model directory: small files copied, the weights symlinked
    /// unless `weights` writes its own.
    func makeModelCopy(skip: String? = nil, weights: ((String, String) throws -> Void)? = nil) throws -> String {
        guard let src = Shared.modelDirectory else { throw XCTSkip("model not set up (make setup)") }
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("minilm-\(UUID().uuidString)").path
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? fm.removeItem(atPath: dir) }
        for name in ["config.json", "vocab.txt"] where name != skip {
            try fm.copyItem(atPath: src + "/" + name, toPath: dir + "/" + name)
        }
        if skip != "model.safetensors" {
            if let weights {
                try weights(src + "/model.safetensors", dir + "/model.safetensors")
            } else {
                try fm.createSymbolicLink(
                    atPath: dir + "/model.safetensors", withDestinationPath: src + "/model.safetensors")
            }
        }
        return dir
    }

    func assertModelError(_ dir: String, mentions needles: [String], file: StaticString = #filePath, line: UInt = #line)
    {
        XCTAssertThrowsError(try MiniLMEncoder(modelDirectory: dir), file: file, line: line) { error in
            let text = String(describing: error)
            XCTAssertTrue(error is ModelError, text, file: file, line: line)
            for n in needles + ["make setup"] {
                XCTAssertTrue(text.contains(n), "\(text) lacks \(n)", file: file, line: line)
            }
        }
    }

    func testSymlinkedCopyLoads() throws {
        let dir = try makeModelCopy()
        XCTAssertNoThrow(try MiniLMEncoder(modelDirectory: dir))
    }

    func testMissingFilesAreNamed() throws {
        for name in ["model.safetensors", "vocab.txt", "config.json"] {
            assertModelError(try makeModelCopy(skip: name), mentions: [name, "missing"])
        }
        assertModelError("/nonexistent/model-dir", mentions: ["/nonexistent/model-dir"])
    }

    func testTruncatedWeightsNameFileAndTensor() throws {
        let dir = try makeModelCopy { src, dst in
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: src))
            let head = try handle.read(upToCount: 50_000_000) ?? Data()
            try handle.close()
            XCTAssertTrue(FileManager.default.createFile(atPath: dst, contents: head))
        }
        assertModelError(dir, mentions: ["model.safetensors", "truncated", "encoder.layer."])
        let tiny = try makeModelCopy { _, dst in
            XCTAssertTrue(FileManager.default.createFile(atPath: dst, contents: Data([1, 2, 3])))
        }
        assertModelError(tiny, mentions: ["model.safetensors", "truncated"])
    }
}

final class MiniLMConcurrencyTests: XCTestCase {
    /// Several callers at once (each may get its own scratch) agree with one caller.
    func testConcurrentCallersGetSameResults() throws {
        guard let e = Shared.encoder else { throw XCTSkip("model not set up (make setup)") }
        let texts = ["one short text", "another, slightly longer, text about kafka streams", "", "naïve café résumé"]
        let expected = try e.embed(texts)
        let results = Mutex<[[[Float]]]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { c in
            let mine = (try? e.embed(c % 2 == 0 ? texts : [texts[c % texts.count]])) ?? []
            results.withLock { $0.append(c % 2 == 0 ? mine : [mine.first ?? []]) }
        }
        for r in results.withLock({ $0 }) {
            for v in r {
                XCTAssertTrue(expected.contains { Shared.cosine($0, v) >= 0.99999 })
            }
        }
    }

    /// A lone text's two-way splits run on a helper thread that spins, then sleeps:
    /// back-to-back calls (helper awake) and calls after a pause (helper asleep,
    /// woken) give the same vector bit for bit, and concurrent callers still agree.
    func testLoneTextSplitsAgreeWhetherHelperIsAwakeOrAsleep() throws {
        guard let e = Shared.encoder else { throw XCTSkip("model not set up (make setup)") }
        let text = "the helper thread computes half of every GEMM for this text"
        let first = try e.embed([text])[0]
        for i in 0..<40 {
            if i % 4 == 0 { usleep(2000) }  // longer than the helper's spin
            XCTAssertEqual(try e.embed([text])[0], first, "call \(i)")
        }
        let agree = Mutex(true)
        DispatchQueue.concurrentPerform(iterations: 3) { _ in
            for _ in 0..<10 {
                let v = (try? e.embed([text])[0]) ?? []
                if Shared.cosine(v, first) < 0.99999 { agree.withLock { $0 = false } }
            }
        }
        XCTAssertTrue(agree.withLock { $0 })
    }
}
