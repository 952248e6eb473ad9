import Foundation

/// Embeddings kept on disk between runs, one file per model and corpus:
/// `<directory>/embeddings-<modelID>-<corpus sha256 prefix>.bin`. Entries are keyed by
/// the FNV-1a hash of the exact text embedded, so any subset of the corpus reuses them.
/// File: "SLUICEEC" magic, UInt32 dimension, then (UInt64 key, dimension × Float32)
/// records, little-endian, appended as they are computed; a torn last record is ignored.
public final class EmbeddingCache: @unchecked Sendable {
    public let path: String
    public let dimension: Int
    private var entries: [UInt64: [Float]] = [:]
    private var pending: [UInt8] = []
    private let lock = NSLock()
    private static let magic = Array("SLUICEEC".utf8)

    public init(directory: String, modelID: String, corpusSHA256: String, dimension: Int) throws {
        let safeModel = String(modelID.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" })
        path = "\(directory)/embeddings-\(safeModel)-\(corpusSHA256.prefix(16)).bin"
        self.dimension = dimension
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try read()
    }

    public var count: Int { lock.withLock { entries.count } }

    public func lookup(_ text: String) -> [Float]? { lock.withLock { entries[FNV1a.hash64(text)] } }

    public func insert(_ text: String, _ embedding: [Float]) {
        precondition(embedding.count == dimension)
        let key = FNV1a.hash64(text)
        lock.withLock {
            guard entries[key] == nil else { return }
            entries[key] = embedding
            withUnsafeBytes(of: key.littleEndian) { pending.append(contentsOf: $0) }
            for v in embedding { withUnsafeBytes(of: v.bitPattern.littleEndian) { pending.append(contentsOf: $0) } }
        }
    }

    /// Appends what was inserted since the last flush.
    public func flush() throws {
        let bytes: [UInt8] = lock.withLock {
            defer { pending.removeAll() }
            return pending
        }
        guard !bytes.isEmpty else { return }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileWriteUnknown) }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes))
    }

    private func read() throws {
        guard let data = FileManager.default.contents(atPath: path), data.count >= 12,
            Array(data.prefix(8)) == Self.magic,
            data.withUnsafeBytes({ UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) })
                == UInt32(dimension)
        else {
            var header = Self.magic
            withUnsafeBytes(of: UInt32(dimension).littleEndian) { header.append(contentsOf: $0) }
            try Data(header).write(to: URL(fileURLWithPath: path))
            return
        }
        let record = 8 + 4 * dimension
        let complete = (data.count - 12) / record
        data.withUnsafeBytes { raw in
            for r in 0..<complete {
                let base = 12 + r * record
                let key = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: base, as: UInt64.self))
                entries[key] = (0..<dimension).map {
                    Float(
                        bitPattern: UInt32(
                            littleEndian: raw.loadUnaligned(fromByteOffset: base + 8 + 4 * $0, as: UInt32.self)))
                }
            }
        }
        if 12 + complete * record != data.count {  // drop a torn tail so appends stay aligned
            try data.prefix(12 + complete * record).write(to: URL(fileURLWithPath: path))
        }
    }
}
