import SluiceDigest

/// Hex SHA-256 of a file's bytes: names the exact corpus a head was trained on and
/// keys the embedding cache.
public enum ContentDigest {
    public static func sha256Hex(_ bytes: [UInt8]) -> String { SHA256.hex(bytes) }
}
