import Foundation
import SluiceJSON

#if canImport(Glibc)
    import Glibc
#endif

/// A memory-mapped `.safetensors` file: an 8-byte little-endian header length,
/// a JSON header naming each tensor's dtype, shape and byte range, then the raw
/// little-endian tensor data. Tensors are read in place from the mapping.
final class SafeTensors: @unchecked Sendable {  // immutable after init; the mapping is read-only
    struct Entry {
        let dtype: String
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    let path: String
    let fileSize: Int
    let headerBytes: [UInt8]
    private let base: UnsafeRawPointer
    private let dataStart: Int
    private let entries: [String: Entry]

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ModelError(path: path, problem: "cannot open model weights") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ModelError(path: path, problem: "cannot stat model weights") }
        fileSize = Int(st.st_size)
        guard fileSize >= 8 else { throw ModelError(path: path, problem: "file is truncated (\(fileSize) bytes)") }
        guard let map = mmap(nil, fileSize, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw ModelError(path: path, problem: "mmap failed (errno \(errno))")
        }
        base = UnsafeRawPointer(map)
        let headerLength = Int(UInt64(littleEndian: base.loadUnaligned(as: UInt64.self)))
        guard headerLength > 0, 8 + headerLength <= fileSize else {
            munmap(map, fileSize)
            throw ModelError(
                path: path,
                problem: "file is truncated: header of \(headerLength) bytes does not fit in \(fileSize) bytes")
        }
        headerBytes = Array(UnsafeRawBufferPointer(start: base + 8, count: headerLength))
        dataStart = 8 + headerLength
        let json: JSONValue
        do { json = try JSONValue.parse(headerBytes) } catch {
            munmap(map, fileSize)
            throw ModelError(path: path, problem: "header is not valid JSON (\(error))")
        }
        var entries: [String: Entry] = [:]
        for (name, value) in json.objectValue ?? [:] where name != "__metadata__" {
            guard let dtype = value["dtype"]?.stringValue,
                let shape = value["shape"]?.arrayValue?.compactMap(\.intValue),
                let offs = value["data_offsets"]?.arrayValue?.compactMap(\.intValue), offs.count == 2
            else { continue }
            entries[name] = Entry(dtype: dtype, shape: shape, begin: offs[0], end: offs[1])
        }
        self.entries = entries
        // Validate every range up front, so a truncated file fails at load, naming a tensor.
        // Report the first tensor (in file order) that does not fit, and how many do not.
        let bad = entries.filter {
            $0.value.begin < 0 || $0.value.end < $0.value.begin || dataStart + $0.value.end > fileSize
        }
        .sorted { $0.value.begin < $1.value.begin }
        if let (name, e) = bad.first {
            munmap(map, fileSize)
            throw ModelError(
                path: path,
                problem: "file is truncated: tensor \(name) needs bytes up to "
                    + "\(dataStart + e.end) but the file has \(fileSize) (\(bad.count) of \(entries.count) tensors cut off)"
            )
        }
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), fileSize) }

    /// Gives back the resident pages of `count` floats at `p` (whole pages inside the range
    /// only): the mapping stays valid, and a page read again is read from the file again.
    func release(_ p: UnsafePointer<Float>, count: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: p) + page - 1) / page * page
        let end = (Int(bitPattern: p) + count * 4) / page * page
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_DONTNEED)
    }

    /// A float32 tensor in place, checked to have `shape`.
    func f32(_ name: String, _ shape: [Int]) throws -> UnsafePointer<Float> {
        guard let e = entries[name] else { throw ModelError(path: path, problem: "tensor \(name) is missing") }
        guard e.dtype == "F32" else {
            throw ModelError(path: path, problem: "tensor \(name) is \(e.dtype), expected F32")
        }
        guard e.shape == shape, e.end - e.begin == shape.reduce(4, *) else {
            throw ModelError(path: path, problem: "tensor \(name) has shape \(e.shape), expected \(shape)")
        }
        let p = base + dataStart + e.begin
        guard Int(bitPattern: p) % 4 == 0 else { throw ModelError(path: path, problem: "tensor \(name) is misaligned") }
        return p.assumingMemoryBound(to: Float.self)
    }
}
