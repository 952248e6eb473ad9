import Foundation
import SluiceJSON
import SluiceMonitor
import SluiceSupervision
import SluiceWorkflow

/// `sluice up --autoscale`: about once a second, reads the in-process monitor's current
/// figures, lets each stage's `StageAutoscaler` turn its replica advice into a worker
/// count, and has the supervisor start or cleanly stop workers to match. Every
/// decision is said (the log, the screen) and kept for the dashboard.
///
/// All the workers share this machine's cores, so a worker is added only while
/// `coresPerWorker` of idle CPU is there for it (`IdleCores`); a stage whose advice
/// waits for cores says so once.
final class UpAutoscaler: @unchecked Sendable {
    /// Idle CPU a new worker is assumed to need (`sluice up --cores-per-worker`).
    let coresPerWorker: Double
    private var scalers: [StageAutoscaler]
    private var idle = IdleCores()
    /// Stages whose advice waits for idle cores, with the advice last said.
    private var waitingForCores: [String: Int] = [:]
    private let lock = NSLock()
    private var decisions: [ScalingDecision] = []
    private let keep = 50

    /// One scaler per stage: bounds from its `autoscale:` section (min 1, up to the input's
    /// partitions, 30 s cooldown when it has none), the top capped at the partition count.
    init(workflow: Workflow, coresPerWorker: Double) {
        self.coresPerWorker = coresPerWorker
        scalers = workflow.stages.map { stage in
            let spec = stage.autoscale ?? AutoscaleSpec()
            let partitions = workflow.topics.first { $0.name == stage.input }?.partitions ?? 1
            let top = min(spec.max ?? partitions, partitions)
            return StageAutoscaler(
                stage: stage.name, min: min(spec.min, top), max: top, cooldownSeconds: spec.cooldownSeconds)
        }
    }

    /// The bounds, for the start-up line.
    var bounds: String {
        scalers.map { "\($0.stage) \($0.min)...\($0.max) (cooldown \(Int($0.cooldownSeconds)) s)" }
            .joined(separator: ", ")
    }

    /// A stage's first count kept within its bounds.
    func initialCount(stage: String, wanted: Int) -> Int {
        guard let scaler = scalers.first(where: { $0.stage == stage }) else { return wanted }
        return min(scaler.max, max(scaler.min, wanted))
    }

    /// One round: a decision per stage whose count should change, applied through `scale`.
    func step(
        snapshot: MetricsSnapshot?, count: (String) -> Int, scale: (String, Int) throws -> Void,
        say: (String) -> Void, now: Date = Date()
    ) {
        var idleCores = idle.sample(now: now)
        for index in scalers.indices {
            let stage = scalers[index].stage
            let figures = snapshot?.stage(stage)
            let current = count(stage)
            // No idle-CPU need (0): no ceiling.
            let room = coresPerWorker > 0 ? idleCores.map { Int(($0 / coresPerWorker).rounded(.down)) } : nil
            if let advice = figures?.replicasNeeded, let room, let idleCores,
                scalers[index].bounded(advice) > current, room == 0
            {
                if waitingForCores[stage] != advice {
                    say(
                        "autoscale: stage \(stage): advice \(advice), staying at \(current) workers: "
                            + String(format: "%.1f of %d cores idle", idleCores, idle.cores)
                            + ", and a worker more would only share the busy ones")
                }
                waitingForCores[stage] = advice
            } else {
                waitingForCores[stage] = nil
            }
            guard
                var decision = scalers[index].observe(
                    advice: figures?.replicasNeeded, current: current, now: now, ceiling: room.map { current + $0 },
                    reason: Self.reason(figures, snapshot: snapshot))
            else { continue }
            if decision.to > current, let cores = idleCores {
                if let advice = figures?.replicasNeeded, decision.to < scalers[index].bounded(advice) {
                    decision = ScalingDecision(
                        stage: stage, from: current, to: decision.to, at: now,
                        reason: decision.reason + String(format: "; %.1f idle cores allow %d more", cores, room ?? 0))
                }
                idleCores = cores - Double(decision.to - current) * coresPerWorker
            }
            do {
                try scale(stage, decision.to)
                lock.withLock {
                    decisions.append(decision)
                    if decisions.count > keep { decisions.removeFirst(decisions.count - keep) }
                }
                say("autoscale: \(decision.summary)")
            } catch {
                say("autoscale: stage \(stage) could not go to \(decision.to) workers: \(error)")
            }
        }
    }

    /// The last decisions, oldest first.
    var recent: [ScalingDecision] { lock.withLock { decisions } }

    /// For `/v1/dashboard`'s `scaling`: newest last, times in µs like the monitor's.
    func json() -> JSONValue {
        .array(
            recent.map {
                .object([
                    "stage": .string($0.stage), "from": .int(Int64($0.from)), "to": .int(Int64($0.to)),
                    "at": .int(Int64($0.at.timeIntervalSince1970 * 1e6)), "reason": .string($0.reason),
                ])
            })
    }

    /// "input 91.0 ev/s x 20.4 ms / 0.70 = 2.65: advice 3": the advice's formula with its figures.
    static func reason(_ figures: StageFigures?, snapshot: MetricsSnapshot?) -> String {
        guard let figures, let snapshot, let advice = figures.replicasNeeded else { return "no advice yet" }
        let rate = figures.inputRate ?? snapshot.arrivalRate
        let perEvent = figures.processingPerEvent.mean / 1e3
        let load = rate * perEvent / 1e3 / snapshot.targetUtilisation
        return String(
            format: "%@ %.1f ev/s x %.1f ms / %.2f = %.2f: advice %d", figures.inputRate == nil ? "arrivals" : "input",
            rate, perEvent, snapshot.targetUtilisation, load, advice)
    }
}
