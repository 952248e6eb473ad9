/// A delivery or transaction failed: the worker leaves the group, rejoins, and
/// resumes from the committed offsets (so nothing unacknowledged is skipped).
struct SessionRestart: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
