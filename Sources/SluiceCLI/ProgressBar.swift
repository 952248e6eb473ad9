import Foundation
import SluiceML

/// A one-line progress bar on stderr: done/total, rate and ETA, redrawn at most
/// twice a second. The CLI's drawing of the library's progress callbacks.
struct ProgressBar {
    let label: String
    let total: Int
    private let start = Date()
    private var lastDraw = Date.distantPast

    init(label: String, total: Int) {
        self.label = label
        self.total = total
    }

    mutating func update(_ done: Int, force: Bool = false) {
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) >= 0.5 else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(start), 1e-6)
        let rate = Double(done) / elapsed
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let eta = rate > 0 ? Self.duration(Double(total - done) / rate) : "?"
        let line = "\r\(label) [\(bar)] \(done)/\(total)  \(String(format: "%.1f", rate)) texts/s  ETA \(eta)   "
        FileHandle.standardError.write(Data(line.utf8))
    }

    mutating func finish() {
        update(total, force: true)
        FileHandle.standardError.write(Data("\n".utf8))
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}

extension ProgressBar {
    /// A progress callback for `CachedEmbedding.embed` that draws a bar labelled `label`,
    /// started at the first report, before the first batch (so nothing is drawn when
    /// everything was cached).
    static func embedding(_ label: String) -> (EmbeddingProgress) -> Void {
        var bar: ProgressBar?
        return { progress in
            if bar == nil { bar = ProgressBar(label: label, total: progress.total) }
            bar?.update(progress.done)
            if progress.done >= progress.total { bar?.finish() }
        }
    }
}
