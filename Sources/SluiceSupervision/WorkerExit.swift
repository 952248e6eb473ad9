import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How a worker process ended, in words for the screen and the log.
public enum WorkerExit: Sendable, Equatable {
    case status(Int32)
    case signal(Int32)

    public var description: String {
        switch self {
        case .status(let code): return "exit status \(code)"
        case .signal(let number): return "killed by signal \(number) (\(Self.signalName(number)))"
        }
    }

    static func signalName(_ number: Int32) -> String {
        switch number {
        case SIGKILL: return "SIGKILL"
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        case SIGSEGV: return "SIGSEGV"
        case SIGABRT: return "SIGABRT"
        case SIGILL: return "SIGILL: a Swift runtime trap"
        case SIGTRAP: return "SIGTRAP: a Swift runtime trap"
        case SIGBUS: return "SIGBUS"
        default: return "signal \(number)"
        }
    }
}

/// The last lines of a log: what a crashed worker said before it died.
public enum LogTail {
    /// The last `count` non-blank lines of `text`, each cut to `width` characters.
    public static func lines(of text: String, count: Int = 3, width: Int = 160) -> [String] {
        let lines = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        return lines.suffix(count).map { String($0.prefix(width)) }
    }

    /// The same for a file, reading only its last 16 KB (logs grow for hours).
    public static func lines(ofFile url: URL, count: Int = 3) -> [String] {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return [] }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 16_384 ? size - 16_384 : 0)
        let data = (try? handle.readToEnd()) ?? Data()
        return lines(of: String(decoding: data, as: UTF8.self), count: count)
    }
}
