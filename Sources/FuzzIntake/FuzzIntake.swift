import SluiceFuzzDriver
import SluiceFuzzHarness

@main enum FuzzIntake {
    static func main() { FuzzDriver.run(.intake) }
}
