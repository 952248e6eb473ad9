#if FUZZING
    import CLibFuzzer
    import Foundation
    import SluiceFuzzHarness

    /// The harness libFuzzer's callback runs: a C function pointer cannot capture it. Set
    /// once before the driver starts; libFuzzer calls back on this one thread only.
    nonisolated(unsafe) private var activeHarness: FuzzHarness?

    func runLibFuzzer(_ harness: FuzzHarness) -> Never {
        activeHarness = harness
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
            do {
                try activeHarness!.check(bytes)
            } catch {
                // A broken invariant is a crash to libFuzzer: it saves the input and stops.
                fatalError("\(activeHarness!.name): \(error)")
            }
            return 0
        }
        exit(status)
    }
#endif
