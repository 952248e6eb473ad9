import Dispatch
import Foundation

/// Turns SIGINT and SIGTERM into a call of `handler` on a background queue, so a
/// command can stop its work cleanly (finish the batch, commit, leave the group)
/// instead of dying mid-way. A second signal exits at once.
public final class ShutdownSignal: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "sluice.signals")
    private let lock = NSLock()
    private var received = 0

    public init(_ handler: @escaping @Sendable (Int32) -> Void) {
        for signo in [SIGINT, SIGTERM] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: queue)
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                self.received += 1
                let count = self.received
                self.lock.unlock()
                if count > 1 {
                    FileHandle.standardError.write(Data("second signal: exiting now\n".utf8))
                    exit(130)
                }
                handler(signo)
            }
            source.resume()
            sources.append(source)
        }
    }

    deinit { sources.forEach { $0.cancel() } }
}
