/// A tensor as stored in a safetensors file: name, dtype, shape and its bytes in the file's
/// memory mapping. Nothing is copied or converted until one of the `float…` methods runs,
/// so model code can convert a checkpoint layer by layer (or a range of rows at a time).
///
/// Holding a `StoredTensor` keeps the file mapped.
public struct StoredTensor: Sendable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    let file: MappedFile
    /// Offset of the first byte from the start of the file (checked against the file size
    /// when the header was read).
    let byteOffset: Int

    init(name: String, dtype: DType, shape: [Int], file: MappedFile, byteOffset: Int) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.file = file
        self.byteOffset = byteOffset
    }

    /// The file the tensor is stored in.
    public var path: String { file.path }
    /// Number of elements (the product of `shape`).
    public var elementCount: Int { shape.reduce(1, *) }
    /// Bytes the tensor occupies in the file.
    public var byteCount: Int { elementCount * dtype.byteSize }
    /// Number of rows: the extent of the outermost axis (1 for a scalar).
    public var rowCount: Int { shape.first ?? 1 }
    /// Elements per row (the product of all axes but the outermost).
    public var rowLength: Int { shape.isEmpty ? 1 : shape.dropFirst().reduce(1, *) }

    /// The tensor as a compute `Tensor` of `dtype` (default: the stored dtype when a tensor
    /// can hold it, float32 otherwise) on `device`.
    ///
    /// On the CPU, a tensor whose stored dtype is the one asked for is a zero-copy view of
    /// the file mapping (pages are read when an op first touches them); other dtypes are
    /// converted (see `floatTensor(rows:)` for the exact rules). On another device the host
    /// tensor is uploaded by that device's backend. Meant to be called layer by layer.
    public func tensor(dtype: DType? = nil, device: Device = .cpu) -> Tensor {
        tensor(rows: 0..<rowCount, dtype: dtype, device: device)
    }

    /// Rows `rows` of the outermost axis as a `Tensor` (see `tensor(dtype:device:)`).
    public func tensor(rows: Range<Int>, dtype: DType? = nil, device: Device = .cpu) -> Tensor {
        require(rows.lowerBound >= 0 && rows.upperBound <= rowCount,
            "rows \(rows) out of range 0..<\(rowCount) for tensor '\(name)'")
        let target = dtype ?? (self.dtype.isTensorElement ? self.dtype : .f32)
        require(target.isTensorElement, "a tensor cannot hold \(target.rawValue) elements")
        let outShape = shape.isEmpty ? [] : [rows.count] + shape.dropFirst()
        let host: Tensor
        if target == self.dtype {
            let size = self.dtype.byteSize
            let first = byteOffset + rows.lowerBound * rowLength * size
            let window = UnsafeRawBufferPointer(rebasing: file.bytes[first..<(first + rows.count * rowLength * size)])
            if rows.isEmpty || rowLength == 0 {
                host = Tensor(zeros: outShape).to(dtype: target)
            } else if Int(bitPattern: window.baseAddress) % size == 0 {
                host = Tensor(shape: outShape, dtype: target, storage: HostStorage(mapped: window, owner: file))
            } else {
                // Misaligned in the file (safetensors does not promise alignment): copy.
                host = Tensor(shape: outShape, dtype: target, storage: HostStorage(mapped: window, owner: file)
                    .ownedCopy(dtype: target))
            }
        } else {
            host = floatTensor(rows: rows).to(dtype: target)
        }
        return host.to(device: device)
    }

    /// The whole tensor converted to float32 (see `DType` conversion notes on
    /// `floatTensor(rows:)`).
    public func floatTensor() -> Tensor {
        floatTensor(rows: 0..<rowCount)
    }

    /// Rows `rows` of the outermost axis converted to float32; the result has shape
    /// `[rows.count] + shape.dropFirst()` (for a scalar, `rows` must be `0..<1`).
    ///
    /// Floating types convert exactly (BF16, F16, F8 upcast; F64 rounds to nearest float32);
    /// integer types convert to the nearest float32 and BOOL to 0 or 1.
    /// - Precondition: `rows` lies within `0..<rowCount`.
    public func floatTensor(rows: Range<Int>) -> Tensor {
        require(rows.lowerBound >= 0 && rows.upperBound <= rowCount,
            "rows \(rows) out of range 0..<\(rowCount) for tensor '\(name)'")
        let count = rows.count * rowLength
        let scalars = HostBufferPool.floats(count: count) { buffer in
            convert(elements: (rows.lowerBound * rowLength)..<(rows.upperBound * rowLength), into: buffer)
        }
        let outShape = shape.isEmpty ? [] : [rows.count] + shape.dropFirst()
        return Tensor(shape: outShape, scalars: scalars)
    }

    /// Converts rows `rows` of the outermost axis into `tensor`'s existing storage, reusing its
    /// memory: for streaming a checkpoint layer by layer through one scratch tensor, which
    /// saves the page faults of fresh memory (most of the cost of `floatTensor` on big layers).
    /// The tensor keeps its shape; only its scalars are overwritten.
    /// - Precondition: `rows` lies within `0..<rowCount` and `tensor.count` equals
    ///   `rows.count * rowLength`.
    public func convert(rows: Range<Int>, into tensor: inout Tensor) {
        require(rows.lowerBound >= 0 && rows.upperBound <= rowCount,
            "rows \(rows) out of range 0..<\(rowCount) for tensor '\(name)'")
        require(tensor.count == rows.count * rowLength,
            "tensor of \(tensor.count) scalars cannot hold rows \(rows) of '\(name)' (\(rows.count * rowLength) scalars)")
        tensor.withUnsafeMutableBufferPointer { buffer in
            convert(elements: (rows.lowerBound * rowLength)..<(rows.upperBound * rowLength), into: buffer)
        }
    }

    /// Converts elements `elements` (row-major positions) into `destination`, which holds
    /// exactly `elements.count` floats, on the CPU backend (threaded, streaming from disk).
    func convert(elements: Range<Int>, into destination: UnsafeMutableBufferPointer<Float>) {
        CPUBackend.shared.widen(self, elements: elements, into: destination)
    }

    /// Calls `body` with the tensor's stored bytes (little-endian, `dtype` layout) straight
    /// from the file mapping, without copying: for kernels that consume BF16 or F16 directly.
    /// The buffer must not escape `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if byteCount >= 1 << 20 {
            file.startReadahead(byteOffset..<(byteOffset + byteCount))
            file.populate(byteOffset..<(byteOffset + byteCount))
        }
        return try withRawBytes(body)
    }

    /// Calls `body` with the tensor's raw little-endian bytes in the mapping. The pointer
    /// must not escape `body`.
    func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(file) {
            let all = file.bytes
            guard byteCount > 0 else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
            return try body(UnsafeRawBufferPointer(rebasing: all[byteOffset..<(byteOffset + byteCount)]))
        }
    }
}

extension StoredTensor: CustomStringConvertible {
    public var description: String {
        "\(name) \(dtype.rawValue) \(shape)"
    }
}
