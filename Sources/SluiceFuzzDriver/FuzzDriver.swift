import Foundation
import SluiceFuzzHarness

/// The whole program of a fuzz executable. Built by `make fuzz` (with -DFUZZING and
/// libFuzzer linked) it is a libFuzzer binary taking libFuzzer's options; in a normal
/// build it replays the files and folders given as arguments, so that the same targets
/// build in `swift build` and `swift test` without libFuzzer.
public enum FuzzDriver {
    public static func run(_ harness: FuzzHarness) -> Never {
        #if FUZZING
            runLibFuzzer(harness)
        #else
            replay(harness, paths: Array(CommandLine.arguments.dropFirst()))
        #endif
    }

    static func replay(_ harness: FuzzHarness, paths: [String]) -> Never {
        let files = FuzzInputs.files(under: paths)
        guard !files.isEmpty else {
            print(
                "usage: \(CommandLine.arguments[0]) FILE-OR-FOLDER... (replays inputs through the \(harness.name) harness)"
            )
            exit(2)
        }
        var broken = 0
        for file in files {
            do {
                try harness.check(Array(FileManager.default.contents(atPath: file) ?? Data()))
            } catch {
                print("\(file): \(error)")
                broken += 1
            }
        }
        print("\(harness.name): \(files.count) inputs replayed, \(broken) broke an invariant")
        exit(broken == 0 ? 0 : 1)
    }
}
