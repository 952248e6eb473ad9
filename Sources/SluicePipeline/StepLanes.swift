import Dispatch
import SluiceEvents
import SluiceKafka

/// Runs a stage's step on up to `width` polled batches at once and gives them back in the
/// order they were started, so that the worker hands their outputs over in input order.
///
/// Width 1 runs each batch on the calling thread when it is started: the step and the
/// hand-over take turns. Wider (`Stage.concurrentBatches`), each batch runs on a thread of
/// its own while the worker's thread hands the one before over and polls the next, so the
/// embed stage keeps both cores on the encoder instead of leaving one idle through every
/// hand-over and poll (docs/benchmarks/cpu-budget.md).
///
/// Used from the worker's thread only (the rebalance handler included: it runs inside poll).
final class StepLanes: @unchecked Sendable {
    /// A batch whose step has been started; `outcomes` are there once `take...` returned it.
    final class Batch: @unchecked Sendable {
        let records: [KafkaRecord]
        let startedAt = DispatchTime.now().uptimeNanoseconds
        private(set) var outcomes: [Outcome] = []
        private(set) var stepNanoseconds: Int64 = 0
        fileprivate let done = DispatchGroup()

        init(records: [KafkaRecord]) { self.records = records }

        fileprivate func run(_ processor: BatchProcessor) {
            let started = DispatchTime.now().uptimeNanoseconds
            outcomes = processor.run(records.map(InputRecord.init), consumedAt: EventClock.nowMicros())
            stepNanoseconds = Int64(DispatchTime.now().uptimeNanoseconds - started)
        }

        fileprivate var isDone: Bool { done.wait(timeout: .now()) == .success }
    }

    let width: Int
    private let processor: BatchProcessor
    private let queue = DispatchQueue(label: "sluice-step", qos: .userInitiated, attributes: .concurrent)
    private var running: [Batch] = []

    init(width: Int, processor: BatchProcessor) {
        self.width = max(1, width)
        self.processor = processor
    }

    /// Whether another batch may start.
    var hasRoom: Bool { running.count < width }
    /// Whether a started batch has not been taken back yet.
    var isBusy: Bool { !running.isEmpty }

    func start(_ records: [KafkaRecord]) {
        let batch = Batch(records: records)
        running.append(batch)
        guard width > 1 else {
            batch.run(processor)
            return
        }
        let processor = self.processor
        batch.done.enter()
        queue.async {
            batch.run(processor)
            batch.done.leave()
        }
    }

    /// The oldest started batch if its step is done; nil if it is not (or none was started).
    func takeFinished() -> Batch? {
        guard let oldest = running.first, oldest.isDone else { return nil }
        return running.removeFirst()
    }

    /// The oldest started batch once its step is done; nil if none was started.
    func takeOldest() -> Batch? {
        guard let oldest = running.first else { return nil }
        oldest.done.wait()
        return running.removeFirst()
    }

    /// Waits for every started step and drops their outcomes: the session ends without
    /// handing them over, and their records, never committed, are read again.
    func abandon() {
        for batch in running { batch.done.wait() }
        running.removeAll()
    }
}
