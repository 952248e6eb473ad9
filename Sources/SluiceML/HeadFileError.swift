/// Why a head file could not be read or used. Every message names the file or field.
public struct HeadFileError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }

    /// The head was trained on embeddings of another model.
    public static func modelMismatch(path: String, expected: String, loaded: String) -> HeadFileError {
        HeadFileError(
            "\(path): this head was trained for model '\(expected)', but the loaded model is '\(loaded)'; "
                + "train a head for '\(loaded)' or load '\(expected)'")
    }
}
