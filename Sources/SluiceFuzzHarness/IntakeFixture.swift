import SluiceGateway
import SluiceWorkflow

/// The gateway in front of a one-stage workflow. A small text limit, so that inputs
/// of fuzzer size reach the too-long check too.
enum IntakeFixture {
    static let yaml = """
        workflow: fuzz
        topics:
          posts: { partitions: 1 }
          done: { partitions: 1 }
          dead: { partitions: 1 }
        input: posts
        output: done
        dead_letter: dead
        stages:
          - { name: pass, task: passthrough, input: posts, output: done }
        limits: { max_text_bytes: 280 }
        """
    // The text is a constant that the replay test reads on every run: a mistake in it fails there.
    static let intake = EventIntake(workflow: try! Workflow.parse(yaml), maxEvents: 16)
    static let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
}
