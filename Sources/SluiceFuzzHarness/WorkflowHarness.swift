import SluiceWorkflow

extension FuzzHarness {
    /// A workflow file's text. A refusal must name the file; an accepted workflow must
    /// hold together the way workers, the gateway and the monitor rely on, and reading
    /// the same text twice must give the same workflow.
    public static let workflow = FuzzHarness(name: "workflow") { (bytes: [UInt8]) throws(InvariantViolation) in
        let yaml = text(bytes)
        let workflow: Workflow
        do throws(WorkflowError) {
            workflow = try Workflow.parse(yaml, file: "fuzz.yaml")
        } catch {
            try require(error.description.hasPrefix("fuzz.yaml"), "an error must name the file: \(error)")
            return
        }
        try WorkflowInvariants.check(workflow)
        try require((try? Workflow.parse(yaml, file: "fuzz.yaml")) == workflow, "the same text read twice differs")
    }
}
