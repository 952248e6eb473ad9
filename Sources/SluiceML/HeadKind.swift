/// Which shape of head: a single softmax layer, or one hidden layer then softmax.
public enum HeadKind: String, Sendable, CaseIterable {
    case softmax
    case mlp
}

/// The hidden nonlinearity of an `MLPHead`.
public enum Activation: String, Sendable, CaseIterable {
    case relu
    case gelu
}
