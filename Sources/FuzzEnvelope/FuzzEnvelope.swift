import SluiceFuzzDriver
import SluiceFuzzHarness

@main enum FuzzEnvelope {
    static func main() { FuzzDriver.run(.envelope) }
}
