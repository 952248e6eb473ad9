import Foundation

/// malloc'ed copies of Swift strings and byte arrays that must outlive a
/// single C call; `freeAll()` releases them (call it in a `defer`).
struct CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    mutating func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        let copy = strdup(string)!
        allocations.append(UnsafeMutableRawPointer(copy))
        return copy
    }

    /// nil for an empty array (librdkafka reads a NULL pointer with size 0 as empty).
    mutating func bytes(_ bytes: [UInt8]) -> UnsafeMutableRawPointer? {
        guard !bytes.isEmpty else { return nil }
        let copy = malloc(bytes.count)!
        bytes.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        allocations.append(copy)
        return copy
    }

    mutating func freeAll() {
        for pointer in allocations { free(pointer) }
        allocations.removeAll()
    }
}
