import SluiceEvents
import SluiceGateway
import SluiceWorkflow

extension FuzzHarness {
    /// A gateway POST body, for the batch routes and for predict (one event). Every
    /// record the gateway accepts must be an event that the first stage's worker decodes
    /// with the same id; otherwise an accepted event ends up among the dead letters.
    public static let intake = FuzzHarness(name: "intake") { (bytes: [UInt8]) throws(InvariantViolation) in
        for single in [false, true] {
            let accepted: EventIntake.Accepted
            do throws(IntakeError) {
                accepted = try IntakeFixture.intake.accept(
                    bytes, single: single, traceparent: IntakeFixture.traceparent)
            } catch {
                try require(!error.problems.isEmpty, "a refused body must list what is wrong with it")
                continue
            }
            try checkAccepted(accepted, single: single)
        }
    }

    private static func checkAccepted(_ accepted: EventIntake.Accepted, single: Bool) throws(InvariantViolation) {
        let workflow = IntakeFixture.intake.workflow
        try require(
            !accepted.ids.isEmpty && accepted.ids.count == accepted.messages.count,
            "\(accepted.ids.count) ids for \(accepted.messages.count) records")
        try require(!single || accepted.ids.count == 1, "predict accepted \(accepted.ids.count) events")
        try require(accepted.ids.count <= IntakeFixture.intake.maxEvents, "more events than the limit")
        try require(Set(accepted.ids).count == accepted.ids.count, "two accepted events share an id")
        for (id, message) in zip(accepted.ids, accepted.messages) {
            try require(message.topic == workflow.input, "a record for topic '\(message.topic)'")
            let event: Envelope
            do {
                event = try Envelope.decode(
                    message.value, fallbackID: "not-the-id", fallbackCreatedAt: -1,
                    maxTextBytes: workflow.limits.maxTextBytes)
            } catch {
                throw InvariantViolation("the worker refuses an accepted event (\(error)): \(text(message.value))")
            }
            try require(event.id == id, "accepted as '\(id)', decoded as '\(event.id)'")
            try require(event.workflow == workflow.name && event.createdAt > 0, "workflow or time not stamped")
            try require(event.hops.isEmpty && event.embedding == nil, "a caller set Sluice's own fields")
            try require(message.headers.contains { $0.key == EventHeaders.traceparent }, "a record without traceparent")
        }
    }
}
