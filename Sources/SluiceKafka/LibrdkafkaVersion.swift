import CRdKafka

/// The librdkafka run-time version gate.
///
/// Versions before 2.2.0 mis-skip tagged fields in flexible responses and fail
/// every connection to Tansu and KRaft brokers with "Read underflow"; refusing
/// them up front turns a baffling connection error into a message with the fix.
public enum LibrdkafkaVersion {
    /// 2.2.0 in librdkafka's 0xMMmmrrpp encoding.
    public static let minimumHex = 0x0202_0000

    /// The version of the library actually loaded, e.g. 0x021000ff for 2.16.0.
    public static var loadedHex: Int { Int(rd_kafka_version()) }

    /// "2.16.0" from 0x021000ff.
    public static func string(_ hexVersion: Int) -> String {
        "\((hexVersion >> 24) & 0xff).\((hexVersion >> 16) & 0xff).\((hexVersion >> 8) & 0xff)"
    }

    /// Pure check of a version number: throws a `KafkaError` naming the version
    /// found, the version needed, and how to get it.
    public static func check(_ hexVersion: Int) throws(KafkaError) {
        guard hexVersion < minimumHex else { return }
        throw KafkaError(
            code: .unsupportedLibrary,
            message: "librdkafka \(string(hexVersion)) is loaded but SluiceKafka needs librdkafka >= "
                + "\(string(minimumHex)) (older versions cannot talk to brokers that send tagged fields). "
                + "Fix: run `make setup` (scripts/setup.sh), which installs librdkafka >= 2.2 into .deps/lib",
            isFatal: true)
    }

    /// Checked once per process, on first use of any client.
    private static let loadedCheck: Result<Void, KafkaError> = Result { () throws(KafkaError) in
        try check(loadedHex)
    }

    static func ensureLoadedIsSupported() throws(KafkaError) {
        try loadedCheck.get()
    }
}
