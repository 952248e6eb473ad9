/// Whether an alert has just started (`firing`) or just ended (`resolved`).
public enum AlertState: String, Sendable, Equatable {
    case firing
    case resolved
}
