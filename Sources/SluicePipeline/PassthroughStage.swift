import Foundation
import SluiceEvents

/// No model: events pass through untouched but for their hop. Measures the
/// runtime's own ceiling (Kafka, JSON, batching) without the transformer.
///
/// `costPerRecord` (the workflow's `cost_ms`) makes the step sleep that long per
/// record: a stage of known cost for the scaling tests, which sleeps rather than spins
/// so that several replicas on a small machine do not compete for its cores.
public struct PassthroughStage: Stage {
    public let costPerRecord: TimeInterval

    public init(costPerRecord: TimeInterval = 0) { self.costPerRecord = costPerRecord }
    public var requirement: StageRequirement { .text }
    public func process(_ batch: [Envelope]) -> [Result<Envelope, StageError>] {
        if costPerRecord > 0 { Thread.sleep(forTimeInterval: costPerRecord * Double(batch.count)) }
        return batch.map { .success($0) }
    }
}
