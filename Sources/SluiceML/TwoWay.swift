import Foundation

/// How one operation of a forward pass is spread over the encoder's two threads.
///
/// A chunk of several texts is already split across threads by text, so its
/// operations run in one piece (`sequential`). A lone text has nothing to split
/// by text, so each GEMM splits its output columns and attention splits its
/// heads: two halves at once, one on the caller, one on the `PairRunner` helper
/// (or libdispatch without one). The forward pass only says what range to split;
/// this type decides whether and where, so each operation is written once.
struct TwoWay {
    /// Whether operations are split at all.
    let parallel: Bool
    /// Where the second half runs; nil: libdispatch.
    let pairs: PairRunner?

    /// Every operation in one piece, on the calling thread.
    static let sequential = TwoWay(parallel: false, pairs: nil)

    /// Calls body(part, range) to cover 0..<count, and returns when it is all done.
    /// Sequential: once, body(0, 0..<count). Parallel: body(0, 0..<mid) and
    /// body(1, mid..<count) at once, mid = count/2 rounded up to a multiple of
    /// `multiple` (so vector kernels see whole blocks). `part` picks per-thread scratch.
    func split(_ count: Int, multipleOf multiple: Int = 1, _ body: @escaping (_ part: Int, _ range: Range<Int>) -> Void)
    {
        guard parallel else {
            body(0, 0..<count)
            return
        }
        let mid = min((count / 2 + multiple - 1) / multiple * multiple, count)
        let halves = Halves { part in body(part, part == 0 ? 0..<mid : mid..<count) }
        if let pairs {
            pairs.run { halves.body($0) }
        } else {
            DispatchQueue.concurrentPerform(iterations: 2) { halves.body($0) }
        }
    }
}

/// The two halves' closure, handed to a second thread although it captures raw
/// pointers into the workspace: safe because `split` returns only after both
/// halves are done, and the halves write disjoint ranges.
private struct Halves: @unchecked Sendable {
    let body: (Int) -> Void
}
