import Foundation

/// Wall-clock time in epoch microseconds, the unit of every timestamp in an envelope.
public enum EventClock {
    public static func nowMicros() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }
}
