import Foundation
import Synchronization

/// Runs `body(0)` on the calling thread and `body(1)` on one persistent helper
/// thread, for the ~30 two-way splits of a lone text's forward pass (`TwoWay`).
/// Public as a general two-thread runner (its tests drive it directly); `stop()` it when
/// done, as the helper thread keeps it alive.
///
/// `DispatchQueue.concurrentPerform` wakes a pool thread for each split. Here the
/// helper spins for a short while (`spinNanoseconds`) after each job, so the next
/// split of the same text finds it awake; past that it sleeps on a semaphore, so
/// an idle encoder (or one on a loaded machine) does not hold a core. The caller
/// finishes its half, then takes the helper's half itself if the helper has not
/// claimed it yet (the helper is asleep or descheduled: on a loaded machine the
/// caller then just runs both halves); else it waits for it, a short spin, then a
/// semaphore. Spins yield the core (sched_yield) to whoever else wants it.
/// One split at a time: a caller that finds the runner busy uses concurrentPerform.
///
/// On a loaded machine spinning loses: a spinning thread gives up the scheduler's
/// wake-up preference, so the helper, once preempted, comes back late. When the
/// helper is often late (the caller had to take its half or to sleep for it in
/// `lateLimit` of the last 32 splits), the next `fallbackSplits` splits go through
/// concurrentPerform (threads that sleep at once), then the helper is tried again.
public final class PairRunner: @unchecked Sendable {  // job/busy guarded by the atomics' ordering
    private let posted = Atomic<Int>(0)  // job generation the caller has posted
    private let done = Atomic<Int>(0)  // job generation the helper has finished
    private let claimed = Atomic<Int>(0)  // job generation whose second half someone has started
    private let helperSleeping = Atomic<Bool>(false)
    private let callerSleeping = Atomic<Bool>(false)
    private let busy = Atomic<Bool>(false)  // a caller owns the runner
    private let stopping = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private var job: (@Sendable (Int) -> Void)?
    private var generation = 0  // caller side, under `busy`
    private var splits = 0, late = 0, fallbackUntil = 0  // caller side, under `busy`
    let lateLimit = 4, fallbackSplits = 512
    let spinNanoseconds: UInt64

    /// Starts the helper thread; it spins up to `spinMicroseconds` after each job before sleeping.
    public init(spinMicroseconds: Int = 200) {
        spinNanoseconds = UInt64(spinMicroseconds) * 1000
        let thread = Thread { [self] in helperLoop() }
        thread.name = "sluice-encoder-helper"
        thread.start()
    }

    /// Stops the helper thread (it holds a reference to the runner until then).
    public func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        posted.add(1, ordering: .sequentiallyConsistent)
        if helperSleeping.exchange(false, ordering: .sequentiallyConsistent) { wake.signal() }
    }

    /// body(0) here, body(1) on the helper; returns when both are done. Safe from any
    /// number of threads at once (all but one go through libdispatch).
    public func run(_ body: @escaping @Sendable (Int) -> Void) {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            DispatchQueue.concurrentPerform(iterations: 2) { body($0) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        splits += 1
        if splits < fallbackUntil {
            DispatchQueue.concurrentPerform(iterations: 2) { body($0) }
            return
        }
        if splits % 32 == 0 {
            if late >= lateLimit { fallbackUntil = splits + fallbackSplits }
            late = 0
        }
        job = body
        generation += 1
        let g = generation
        posted.store(g, ordering: .sequentiallyConsistent)
        if helperSleeping.exchange(false, ordering: .sequentiallyConsistent) { wake.signal() }
        body(0)
        if claimed.compareExchange(expected: g - 1, desired: g, ordering: .sequentiallyConsistent).exchanged {
            body(1)  // the helper had not started: do its half here
            late += 1
        } else if wait(until: g, counter: done, sleeping: callerSleeping, semaphore: finished) {
            late += 1
        }
    }

    private func helperLoop() {
        var seen = 0
        while true {
            wait(until: seen + 1, counter: posted, sleeping: helperSleeping, semaphore: wake)
            seen = posted.load(ordering: .acquiring)
            if stopping.load(ordering: .acquiring) { return }
            // The caller may have taken this half already (then it does not wait for `done`).
            guard
                claimed.compareExchange(expected: seen - 1, desired: seen, ordering: .sequentiallyConsistent)
                    .exchanged
            else { continue }
            job?(1)
            done.store(seen, ordering: .sequentiallyConsistent)
            if callerSleeping.exchange(false, ordering: .sequentiallyConsistent) { finished.signal() }
        }
    }

    /// Waits until counter >= target: spins up to spinNanoseconds, then sleeps (returns true). The other
    /// side stores the counter, then signals only if it takes `sleeping` from true to false.
    @discardableResult
    private func wait(
        until target: Int, counter: borrowing Atomic<Int>, sleeping: borrowing Atomic<Bool>,
        semaphore: DispatchSemaphore
    ) -> Bool {
        if counter.load(ordering: .acquiring) >= target { return false }
        let start = DispatchTime.now().uptimeNanoseconds
        var spins = 0
        while counter.load(ordering: .acquiring) < target {
            spins += 1
            if spins > 64 { sched_yield() }
            if spins & 15 == 0, DispatchTime.now().uptimeNanoseconds - start > spinNanoseconds {
                sleeping.store(true, ordering: .sequentiallyConsistent)
                if counter.load(ordering: .sequentiallyConsistent) >= target {
                    // Done meanwhile: take the flag back, or consume the signal already on its way.
                    if !sleeping.exchange(false, ordering: .sequentiallyConsistent) { semaphore.wait() }
                    return true
                }
                semaphore.wait()
                // Woken: the other side cleared `sleeping` and the counter has moved.
                return true
            }
        }
        return false
    }
}
