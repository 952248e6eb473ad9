/// FNV-1a, 64 bits: a stable hash of a text's UTF-8 bytes (Swift's `Hasher` is seeded
/// per process, so it cannot place a text in the same split or cache slot twice).
public enum FNV1a {
    public static func hash64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
