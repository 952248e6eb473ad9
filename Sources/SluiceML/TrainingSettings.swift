/// Everything that decides a training run. Same settings and data → same weights.
public struct TrainingSettings: Sendable, Equatable {
    public var kind: HeadKind = .mlp
    public var hiddenSize: Int = 256
    public var activation: Activation = .gelu
    public var learningRate: Float = 1e-3
    /// AdamW's decoupled weight decay, applied to weights (not biases).
    public var weightDecay: Float = 1e-4
    public var batchSize: Int = 64
    public var maxEpochs: Int = 40
    /// Stop after this many epochs without a better validation macro-F1; keep the best.
    public var patience: Int = 5
    /// Dropout on the hidden layer (MLP only).
    public var dropout: Float = 0
    /// Weight each class by N / (classes · n_class), so rare classes count as much.
    public var balanceClasses: Bool = false
    public var seed: UInt64 = 42

    public init() {}

    /// Softmax regression defaults with otherwise the same trainer.
    public static func softmax(learningRate: Float = 1e-2, weightDecay: Float = 1e-4) -> TrainingSettings {
        var s = TrainingSettings()
        s.kind = .softmax
        s.hiddenSize = 0
        s.learningRate = learningRate
        s.weightDecay = weightDecay
        return s
    }
}
