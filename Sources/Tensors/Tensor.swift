/// A dense, contiguous, row-major Float32 tensor with value semantics.
///
/// Storage is a Swift `[Float]`, which is already a copy-on-write buffer: copying a `Tensor`
/// is O(1), and the first write through `withUnsafeMutableBufferPointer` to a shared buffer
/// copies it once. (Measured against a raw 64-byte-aligned allocation, allocating and filling
/// 88 MiB costs the same; tensor-bench storage.) Ops allocate their results uninitialised and
/// fill every element, so a result is written once, never zero-filled first; buffers of 8 MiB
/// and more ask for transparent huge pages before the first write.
///
/// This is the stable public core that other layers (Media, LTX, nodes) build on:
/// `init(shape:scalars:)`, `init(zeros:)`, `shape`, `count`, `scalars`,
/// `withUnsafeBufferPointer` and `withUnsafeMutableBufferPointer`. Ops live in extensions
/// (`Tensor+Matmul.swift`, `Tensor+Attention.swift`, ...), one concern per file.
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
        self.init(repeating: 0, shape: shape)
    }

    /// Creates a tensor of the given shape with every element equal to `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape) { $0.initialize(repeating: value) }
    }

    /// Creates a tensor whose contents `body` writes. `body` must initialise every element
    /// of the buffer it receives (the buffer starts uninitialised).
    public init(
        shape: [Int], initializingWith body: (UnsafeMutableBufferPointer<Float>) throws -> Void
    ) rethrows {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        let n = shape.reduce(1, *)
        self.shape = shape
        self.storage = try [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            let elements = UnsafeMutableBufferPointer(rebasing: buffer[0..<n])
            MemoryCalls.adviseHugePages(UnsafeMutableRawBufferPointer(elements))
            try body(elements)
            initialized = n
        }
    }

    /// Number of scalars (the product of `shape`).
    public var count: Int { storage.count }

    /// Number of axes.
    public var rank: Int { shape.count }

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

    /// The element at a full multi-index (one index per axis). Meant for tests and small
    /// lookups; ops work on the buffer.
    public subscript(_ indices: Int...) -> Float {
        get { storage[flatIndex(indices)] }
        set { storage[flatIndex(indices)] = newValue }
    }

    /// Row-major strides of `shape` (in elements).
    public var strides: [Int] { Tensor.strides(of: shape) }

    static func strides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for axis in shape.indices.reversed() {
            strides[axis] = s
            s *= shape[axis]
        }
        return strides
    }

    private func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == shape.count, "\(indices.count) indices for shape \(shape)")
        var flat = 0
        for (axis, i) in indices.enumerated() {
            precondition(i >= 0 && i < shape[axis], "index \(i) out of range for axis \(axis) of \(shape)")
            flat = flat * shape[axis] + i
        }
        return flat
    }

    /// Replaces the shape without touching the storage (same element count).
    mutating func setShape(_ newShape: [Int]) {
        precondition(newShape.reduce(1, *) == storage.count, "cannot view \(shape) as \(newShape)")
        shape = newShape
    }
}

extension Tensor: Equatable {
    /// Exact equality of shape and every element (NaN is unequal to itself, as for Float).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.storage == rhs.storage
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = storage.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(head)\(storage.count > 8 ? ", ..." : "")])"
    }
}
