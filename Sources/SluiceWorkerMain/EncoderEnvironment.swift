import Foundation
import SluiceML

/// The encoder's tuning switches, read from the environment here, by the commands that
/// load the encoder and by stage packages' workers (the libraries read no environment). Unset: the library's defaults.
extension EncoderOptions {
    /// For the --help of commands that load the encoder.
    public static let environmentHelp = """
        Encoder tuning, from the environment (for benchmarking; the defaults are the tuned ones): \
        SLUICE_SPLIT_SINGLE=0 runs a lone text on one thread instead of two; SLUICE_PAIR_RUNNER=0 \
        splits it through libdispatch instead of the encoder's helper thread; SLUICE_PACKED_MAX_ROWS=N \
        sends GEMMs over at most N tokens to the encoder's own packed-weight kernel, longer ones to \
        OpenBLAS (default 64; 0: always OpenBLAS).
        """

    /// The defaults, with each variable that is set (and parses) overriding its option.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        -> EncoderOptions
    {
        var options = EncoderOptions()
        if environment["SLUICE_SPLIT_SINGLE"] == "0" { options.splitSingleText = false }
        if environment["SLUICE_PAIR_RUNNER"] == "0" { options.helperThread = false }
        if let rows = environment["SLUICE_PACKED_MAX_ROWS"].flatMap({ Int($0) }) { options.packedMaxRows = rows }
        return options
    }
}
