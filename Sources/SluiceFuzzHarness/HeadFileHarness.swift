import SluiceJSON
import SluiceML

extension FuzzHarness {
    /// A head file's bytes, read as `HeadFile.load` reads them. A head it accepts must
    /// be usable (one output per label, a prediction of the declared size) and must
    /// survive being written back and read again, as retraining and `sluice` tools do.
    public static let headFile = FuzzHarness(name: "head-file") { (bytes: [UInt8]) throws(InvariantViolation) in
        guard let root = try? JSONValue.parse(bytes) else { return }
        let file: HeadFile
        do throws(HeadFileError) {
            file = try HeadFile.parse(root)
        } catch {
            try require(!error.description.isEmpty, "a refused head file must say why")
            return
        }
        let head = file.head
        try require(file.labels.count == head.classCount, "\(file.labels.count) labels for \(head.classCount) outputs")
        try require(head.inputDimension > 0, "input dimension \(head.inputDimension)")
        let probabilities = head.predict(flat: [Float](repeating: 0, count: head.inputDimension), rows: 1)
        try require(
            probabilities.count == head.classCount, "\(probabilities.count) probabilities for \(head.classCount) labels"
        )

        let written = file.json()
        let reread: HeadFile
        do {
            reread = try HeadFile.parse(JSONValue.parse(written.serialized()))
        } catch {
            throw InvariantViolation("a head file written from an accepted one is refused: \(error)")
        }
        try require(reread.json() == written, "a head file changed when written and read again")
    }
}
