import Foundation

/// Starts child processes that the kernel kills when this process dies, even by
/// SIGKILL (so no `finally`, deinit or signal handler of ours runs).
///
/// On Linux the child runs under `setpriv --pdeathsig SIG -- PROGRAM ARGS`:
/// setpriv (util-linux, part of every Debian install) sets PR_SET_PDEATHSIG and
/// execs the program in place, so the child keeps the pid Foundation reports.
/// Foundation's `Process` cannot run code between fork and exec, hence setpriv.
///
/// PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not
/// the process. Foundation spawns on the calling thread, and callers (tests, a
/// background thread of a command) may well end before the child should. So
/// every spawn runs on one thread of our own that never exits: the signal then
/// fires only when the whole process is gone. (Measured: setpriv started from
/// a thread that then ends gets its SIGKILL at once.)
///
/// Left open: a parent killed in the milliseconds between the spawn and
/// setpriv's prctl leaves that child running (setpriv does not re-check its parent).
public final class ParentTiedSpawner: @unchecked Sendable {
    public static let shared = ParentTiedSpawner()

    /// `setpriv`, when this system has it; nil elsewhere (macOS), where children are not tied.
    public let setpriv: URL?

    private let lock = NSCondition()
    private var pending: [() -> Void] = []

    private init() {
        #if os(Linux)
            setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }
                .map { URL(fileURLWithPath: $0) }
        #else
            setpriv = nil
        #endif
        let thread = Thread { [self] in
            while true {
                lock.lock()
                while pending.isEmpty { lock.wait() }
                let job = pending.removeFirst()
                lock.unlock()
                job()
            }
        }
        thread.name = "sluice-spawner"
        thread.start()
    }

    /// Whether children started here die with this process.
    public var tiesChildren: Bool { setpriv != nil }

    /// Points `process` at `executable` (through setpriv when available) and starts it on the spawner thread.
    /// - Parameter deathSignal: what the child gets when we die: "KILL" for a program that ignores
    ///   SIGTERM (Tansu), "TERM" for one that should finish cleanly.
    public func run(_ process: Process, executable: URL, arguments: [String], deathSignal: String = "KILL") throws {
        if let setpriv {
            process.executableURL = setpriv
            process.arguments = ["--pdeathsig", deathSignal, "--", executable.path] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: (any Error)?
        lock.lock()
        pending.append {
            do { try process.run() } catch { failure = error }
            done.signal()
        }
        lock.signal()
        lock.unlock()
        done.wait()
        if let failure { throw failure }
    }
}
