/// A dense, contiguous, row-major Float32 tensor with value semantics.
///
/// This is the stable public core that other layers (Media, LTX, nodes) build on:
/// `init(shape:scalars:)`, `init(zeros:)`, `shape`, `count`, `scalars`,
/// `withUnsafeBufferPointer` and `withUnsafeMutableBufferPointer`.
public struct Tensor: Sendable {
    /// Extent of each axis, outermost first, e.g. `[B, C, F, H, W]`.
    public private(set) var shape: [Int]
    @usableFromInline var storage: [Float]

    /// Creates a tensor that takes `scalars` as its row-major contents.
    /// - Precondition: `scalars.count` equals the product of `shape`.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        precondition(
            shape.reduce(1, *) == scalars.count,
            "shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.shape = shape
        self.storage = scalars
    }

    /// Creates a tensor of the given shape filled with zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// Number of scalars (the product of `shape`).
    public var count: Int { storage.count }

    /// The contents in row-major order.
    public var scalars: [Float] { storage }

    public func withUnsafeBufferPointer<R>(
        _ body: (UnsafeBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }
}
