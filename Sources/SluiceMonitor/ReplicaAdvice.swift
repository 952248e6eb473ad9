/// How many replicas a stage needs for the observed arrival rate.
///
/// A stage whose events each take d seconds of a replica's time (d = process_us /
/// batch_size, averaged over the window), fed λ events per second, keeps λ·d replicas
/// busy on average (Little's law for the servers). Running replicas at 100 % makes the
/// queue, and so the delay before the stage, grow without bound, so the advice sizes
/// for a target utilisation ρ < 1:
///
///     needed = max(1, ceil(λ · d / ρ))
///
/// Worked example: λ = 120 events/s, d = 9.5 ms = 0.0095 s, ρ = 0.7:
/// λ·d = 120 × 0.0095 = 1.14 busy replicas; 1.14 / 0.7 = 1.628...; ceil → 2 replicas.
/// With m = 2 replicas the stage's utilisation is λ·d / m = 0.57 and its capacity
/// m / d = 2 / 0.0095 = 210.5 events/s; the workflow's throughput is bounded by the
/// stage with the lowest capacity.
public enum ReplicaAdvice {
    public static func needed(arrivalRate: Double, perEventSeconds: Double, targetUtilisation: Double) -> Int {
        guard arrivalRate > 0, perEventSeconds > 0, targetUtilisation > 0 else { return 1 }
        let replicas = arrivalRate * perEventSeconds / targetUtilisation
        // The tolerance keeps 2.0000000000000004 (floating-point noise on an exact 2) at 2.
        return Swift.max(1, Int((replicas - 1e-9).rounded(.up)))
    }

    /// Share of its replicas' time the stage is busy: λ·d / m.
    public static func utilisation(arrivalRate: Double, perEventSeconds: Double, replicas: Int) -> Double {
        replicas > 0 ? arrivalRate * perEventSeconds / Double(replicas) : 0
    }

    /// Events per second the stage can take with m replicas: m / d.
    public static func capacity(perEventSeconds: Double, replicas: Int) -> Double? {
        perEventSeconds > 0 ? Double(replicas) / perEventSeconds : nil
    }
}
