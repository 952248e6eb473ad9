/// Training and evaluation inputs, read a batch at a time: dense embeddings, or sparse
/// bag-of-words vectors that would not fit in memory as one dense matrix.
public protocol FeatureRows: Sendable {
    var count: Int { get }
    var dimension: Int { get }
    /// Writes the given rows, densely and row-major, into `buffer` (resized to rows × dimension).
    func fill(rows: [Int], into buffer: inout [Float])
}

/// Dense rows stored flat: values[count × dimension].
public struct DenseRows: FeatureRows {
    public let count: Int
    public let dimension: Int
    public let values: [Float]

    public init(_ rows: [[Float]], dimension: Int) {
        precondition(rows.allSatisfy { $0.count == dimension }, "every row needs \(dimension) values")
        self.count = rows.count
        self.dimension = dimension
        self.values = rows.flatMap { $0 }
    }

    public func fill(rows: [Int], into buffer: inout [Float]) {
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(rows.count * dimension)
        for r in rows { buffer.append(contentsOf: values[r * dimension..<(r + 1) * dimension]) }
    }
}

/// Sparse rows: each row a list of (column, value) pairs; absent columns are 0.
public struct SparseRows: FeatureRows {
    public let dimension: Int
    public let rows: [[(column: Int32, value: Float)]]
    public var count: Int { rows.count }

    public init(dimension: Int, rows: [[(column: Int32, value: Float)]]) {
        self.dimension = dimension
        self.rows = rows
    }

    public func fill(rows selected: [Int], into buffer: inout [Float]) {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: repeatElement(0, count: selected.count * dimension))
        for (i, r) in selected.enumerated() {
            for entry in rows[r] { buffer[i * dimension + Int(entry.column)] = entry.value }
        }
    }
}
