import SluiceFuzzDriver
import SluiceFuzzHarness

@main enum FuzzWorkflow {
    static func main() { FuzzDriver.run(.workflow) }
}
