import SluiceFuzzDriver
import SluiceFuzzHarness

@main enum FuzzHeadFile {
    static func main() { FuzzDriver.run(.headFile) }
}
