/// A dense, contiguous, row-major tensor: a shape, an element type and storage on a device.
///
/// - **dtype**: float32 (the default), bfloat16 and float16 are compute types; fp8 (e4m3,
///   e5m2) is storage for weights, converted on use by every op. Results of an op have the
///   promoted dtype of its operands (`DType.promoted`): bf16 in, bf16 out.
/// - **device**: `.cpu` today (`CPUBackend`); ops dispatch to the backend of their operands'
///   device (`BackendRegistry`), so model code written on `Tensor` runs unchanged on every
///   backend. Moving between devices is explicit: `to(device:)`.
/// - **value semantics**: a tensor is a value around reference-counted storage
///   (`TensorStorage`). Every op returns new storage; the few mutating members
///   (`roundToBF16()`, the element setter) copy first when the storage is shared
///   (copy-on-write). Copying a tensor is O(1).
/// - **host access** is explicit: `hostScalars()` and `withHostScalars(_:)` read float32
///   values on the host. On a GPU backend they wait for the queued work and copy; they are
///   the synchronisation points, and model code calls them only at its edges (sampler
///   progress, saving). Raw buffers are `package` API for the backends.
public struct Tensor: Sendable {
    /// Extent of each axis, outermost first, e.g. `[B, C, F, H, W]`.
    public private(set) var shape: [Int]
    /// The element type.
    public private(set) var dtype: DType
    /// The memory, owned by the backend of `device`.
    package private(set) var storage: any TensorStorage

    /// The device the tensor lives on.
    public var device: Device { storage.device }

    /// A tensor over existing storage (backends build their results this way).
    package init(shape: [Int], dtype: DType, storage: any TensorStorage) {
        require(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        require(dtype.isTensorElement, "a tensor cannot hold \(dtype.rawValue) elements")
        require(
            storage.byteCount == shape.reduce(1, *) * dtype.byteSize,
            "storage of \(storage.byteCount) bytes does not fit \(shape) \(dtype.rawValue)")
        self.shape = shape
        self.dtype = dtype
        self.storage = storage
    }

    /// A float32 CPU tensor that takes `scalars` as its row-major contents (no copy).
    /// - Precondition: `scalars.count` equals the product of `shape`.
    public init(shape: [Int], scalars: [Float]) {
        require(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        require(
            shape.reduce(1, *) == scalars.count,
            "shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.init(shape: shape, dtype: .f32, storage: HostStorage(floats: scalars))
    }

    /// A tensor of the given shape filled with zeros.
    public init(zeros shape: [Int], dtype: DType = .f32, device: Device = .cpu) {
        self.init(repeating: 0, shape: shape, dtype: dtype, device: device)
    }

    /// A tensor of the given shape with every element equal to `value` (rounded to `dtype`).
    /// On a GPU the tensor is filled there (`Backend.filled`), never built on the host and
    /// copied over.
    public init(repeating value: Float, shape: [Int], dtype: DType = .f32, device: Device = .cpu) {
        guard device == .cpu else {
            self = BackendRegistry.backend(for: device).filled(value, shape: shape, dtype: dtype)
            return
        }
        let host = Tensor(shape: shape) { $0.initialize(repeating: value) }
        self = host.to(dtype: dtype)
    }

    /// A float32 CPU tensor whose contents `body` writes on the host. `body` must initialise
    /// every element of the buffer it receives (the buffer starts uninitialised). Large buffers
    /// come from `HostBufferPool` (memory of a released tensor of the same size) or get
    /// transparent huge pages before the first write. Internal: the CPU
    /// kernels build their results this way; other code passes an array (`init(shape:scalars:)`).
    init(
        shape: [Int], initializingWith body: (UnsafeMutableBufferPointer<Float>) throws -> Void
    ) rethrows {
        require(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        let floats = try HostBufferPool.floats(count: shape.reduce(1, *), body)
        self.init(shape: shape, dtype: .f32, storage: HostStorage(floats: floats))
    }

    /// Number of elements (the product of `shape`).
    public var count: Int { shape.reduce(1, *) }

    /// Number of axes.
    public var rank: Int { shape.count }

    /// Row-major strides of `shape` (in elements).
    public var strides: [Int] { Tensor.strides(of: shape) }

    package static func strides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for axis in shape.indices.reversed() {
            strides[axis] = s
            s *= shape[axis]
        }
        return strides
    }

    /// Replaces the shape without touching the storage (same element count).
    mutating func setShape(_ newShape: [Int]) {
        require(newShape.reduce(1, *) == count, "cannot view \(shape) as \(newShape)")
        shape = newShape
    }
}

// MARK: - Host access (synchronisation points)

extension Tensor {
    /// The contents as float32 values on the host, in row-major order. A synchronisation
    /// point: on a GPU it waits for the work queued so far and copies the tensor down.
    public func hostScalars() -> [Float] {
        let t = to(device: .cpu).to(dtype: .f32)
        return t.withUnsafeBufferPointer { Array($0) }
    }

    /// Calls `body` with the float32 contents on the host: without a copy for a float32 CPU
    /// tensor, otherwise through a converted (and, on a GPU, downloaded) copy. A
    /// synchronisation point like `hostScalars()`. The buffer must not escape `body`.
    public func withHostScalars<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        if device == .cpu && dtype == .f32 { return try withUnsafeBufferPointer(body) }
        return try to(device: .cpu).to(dtype: .f32).withUnsafeBufferPointer(body)
    }

    /// The element at a full multi-index (one index per axis), as float32. Meant for tests
    /// and small lookups; a synchronisation point on a GPU.
    public subscript(_ indices: Int...) -> Float {
        get {
            let flat = flatIndex(indices)
            return to(device: .cpu).withUnsafeHostBytes { raw in HostElements.load(raw, dtype, flat) }
        }
        set {
            require(device == .cpu, "setting an element needs a CPU tensor, this one is on \(device)")
            let flat = flatIndex(indices)
            makeHostStorageUnique()
            let host = storage as! HostStorage
            HostElements.store(newValue, host, dtype, flat)
        }
    }

    private func flatIndex(_ indices: [Int]) -> Int {
        require(indices.count == shape.count, "\(indices.count) indices for shape \(shape)")
        var flat = 0
        for (axis, i) in indices.enumerated() {
            require(i >= 0 && i < shape[axis], "index \(i) out of range for axis \(axis) of \(shape)")
            flat = flat * shape[axis] + i
        }
        return flat
    }
}

// MARK: - Raw host buffers (internal to the CPU backend and the loaders; the storage and its
// bytes are `package` for backends in other targets of this package)

extension Tensor {
    /// The host storage of a CPU tensor.
    package var hostStorage: HostStorage {
        guard let host = storage as? HostStorage else {
            fatalError("host buffer of a tensor on \(device); copy it with to(device: .cpu) first")
        }
        return host
    }

    /// The float32 elements of a float32 CPU tensor, without a copy.
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        require(dtype == .f32, "float32 buffer of a \(dtype.rawValue) tensor")
        let host = hostStorage
        if host.contents == .floats { return try host.floats.withUnsafeBufferPointer(body) }
        return try host.withUnsafeBytes { try body($0.bindMemory(to: Float.self)) }
    }

    /// The float32 elements of a float32 CPU tensor for writing, copied first if the storage
    /// is shared or mapped (copy-on-write).
    mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        require(dtype == .f32, "float32 buffer of a \(dtype.rawValue) tensor")
        makeHostStorageUnique()
        return try (storage as! HostStorage).floats.withUnsafeMutableBufferPointer(body)
    }

    /// The bf16 words of a CPU bf16 tensor, for writing in place (copy-on-write: a private
    /// copy is made first when other tensors share the storage or it is a file mapping).
    mutating func withUnsafeMutableWords<R>(_ body: (inout UnsafeMutableBufferPointer<UInt16>) throws -> R) rethrows -> R {
        require(dtype == .bf16, "bf16 words of a \(dtype.rawValue) tensor")
        makeHostStorageUnique()
        return try (storage as! HostStorage).words.withUnsafeMutableBufferPointer(body)
    }

    /// The raw little-endian bytes of a CPU tensor in its dtype's layout.
    package func withUnsafeHostBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try hostStorage.withUnsafeBytes(body)
    }

    /// The storage of a tensor on another backend's device, for writing in place: `copy`
    /// makes a private copy first when other tensors share it (copy-on-write). GPU backends'
    /// in-place primitives (`addRegion`) use it.
    package mutating func uniqueStorage<S: TensorStorage>(as _: S.Type, copy: (S) -> S) -> S {
        guard var s = storage as? S else { fatalError("storage of a \(device) tensor is not \(S.self)") }
        storage = HostStorage.placeholder
        if !isKnownUniquelyReferenced(&s) { s = copy(s) }
        storage = s
        return s
    }

    /// Makes `storage` an owned (array) host storage that only this tensor references.
    mutating func makeHostStorageUnique() {
        var host = hostStorage
        // Drop this tensor's own reference while asking, so `host` counts only the others.
        storage = HostStorage.placeholder
        let unique = isKnownUniquelyReferenced(&host)
        storage = unique && host.contents != .mapped ? host : host.ownedCopy(dtype: dtype)
    }
}

extension Tensor: Equatable {
    /// Exact equality of shape, dtype, device and every element (NaN is unequal to itself,
    /// as for Float). Compares on the host: a synchronisation point for GPU tensors.
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.shape == rhs.shape, lhs.dtype == rhs.dtype, lhs.device == rhs.device else { return false }
        return lhs.hostScalars() == rhs.hostScalars()
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head: String
        if device == .cpu {
            let n = Swift.min(8, count)
            head = withUnsafeHostBytes { raw in (0..<n).map { "\(HostElements.load(raw, dtype, $0))" } }
                .joined(separator: ", ")
        } else {
            head = "on \(device)"
        }
        let suffix = dtype == .f32 ? "" : ", \(dtype.rawValue)"
        return "Tensor(shape: \(shape)\(suffix), [\(head)\(count > 8 ? ", ..." : "")])"
    }
}

/// Loads and stores of single elements of any tensor dtype in host memory.
enum HostElements {
    static func load(_ raw: UnsafeRawBufferPointer, _ dtype: DType, _ i: Int) -> Float {
        switch dtype {
        case .f32: raw.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
        case .bf16: BFloat16.float(fromBits: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        case .f16: HalfFloat.float(fromBits: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        case .f8e4m3: Float8.floatFromE4M3(raw[i])
        case .f8e5m2: Float8.floatFromE5M2(raw[i])
        default: fatalError("a tensor cannot hold \(dtype.rawValue) elements")
        }
    }

    static func store(_ value: Float, _ host: HostStorage, _ dtype: DType, _ i: Int) {
        switch dtype {
        case .f32: host.floats[i] = value
        case .bf16: host.words[i] = BFloat16.bits(from: value)
        case .f16: host.words[i] = HalfFloat.bits(from: value)
        case .f8e4m3: host.bytes[i] = Float8.e4m3Bits(from: value)
        case .f8e5m2: host.bytes[i] = Float8.e5m2Bits(from: value)
        default: fatalError("a tensor cannot hold \(dtype.rawValue) elements")
        }
    }
}
