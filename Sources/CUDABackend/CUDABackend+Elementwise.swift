import Tensors

/// Element-wise primitives: one grid-stride kernel each (elementwise.cu), bf16 operands that
/// line up in runs of 8 through the 16-byte kernels (vectorized.cu).
extension CUDABackend {
    public func unary(_ op: UnaryOp, _ x: Tensor) -> Tensor {
        let dtype = DType.result(of: [x])
        let out = empty(x.shape, dtype)
        let code: Int32 = switch op {
        case .exp: 0
        case .sigmoid: 1
        case .silu: 2
        case .geluTanh: 3
        case .cos: 4
        case .sin: 5
        }
        if dtype == .bf16, let fast = vectorUnary(code, x) { return fast }
        context.launch(
            "rf_unary", items: x.count,
            [.pointer(pointer(out)), .pointer(pointer(x)), .int64(x.count), .int32(x.dtype.code), .int32(dtype.code), .int32(code)])
        return out
    }

    public func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor {
        guard let shape = Tensor.broadcastShape(a.shape, b.shape) else {
            fatalError("shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let dtype = DType.result(of: [a, b])
        let out = empty(shape, dtype)
        let code: Int32 = switch op {
        case .add: 0
        case .subtract: 1
        case .multiply: 2
        case .divide: 3
        case .maximum: 4
        }
        if dtype == .bf16, let fast = vectorBinary(code, a, b, shape: shape) { return fast }
        let g = Geometry(
            extents: shape, a: Geometry.broadcastStrides(a.shape, to: shape), b: Geometry.broadcastStrides(b.shape, to: shape))
        let n = out.count
        context.launch(
            "rf_binary", items: n,
            [.pointer(pointer(out)), .pointer(pointer(a)), .pointer(pointer(b)), g.argument, .int64(n), .int32(a.dtype.code),
             .int32(b.dtype.code), .int32(dtype.code), .int32(code)])
        return out
    }

    public func modulate(_ x: Tensor, scale: Tensor, shift: Tensor) -> Tensor {
        fused3(x, scale, shift, op: 0)
    }

    public func gatedResidual(_ x: Tensor, _ y: Tensor, gate: Tensor) -> Tensor {
        fused3(x, y, gate, op: 1)
    }

    /// modulate (op 0) or gated residual (op 1) over `x`'s shape, rounding between steps in
    /// bf16 as torch's separate ops do.
    private func fused3(_ x: Tensor, _ a: Tensor, _ b: Tensor, op: Int32) -> Tensor {
        let dtype = DType.result(of: [x, a, b])
        if dtype == .bf16, let fast = vectorFused3(x, a, b, op: op) { return fast }
        let out = empty(x.shape, dtype)
        let g = Geometry(
            extents: x.shape, a: Geometry.broadcastStrides(a.shape, to: x.shape),
            b: Geometry.broadcastStrides(b.shape, to: x.shape))
        context.launch(
            "rf_fused3", items: x.count,
            [.pointer(pointer(out)), .pointer(pointer(x)), .pointer(pointer(a)), .pointer(pointer(b)), g.argument,
             .int64(x.count), .int32(x.dtype.code), .int32(a.dtype.code), .int32(b.dtype.code), .int32(dtype.code),
             .int32(op), .int32(dtype == .bf16 ? 1 : 0)])
        return out
    }
}

/// torch's CUDA randn drawn on the GPU (random.cu): the same Philox words, Box-Muller
/// intrinsics and launch rule as torch, so the values are torch's bit for bit.
extension CUDABackend {
    public func torchCUDANormal(count: Int, seed: UInt64, offset: UInt64, threads: Int, dtype: DType) -> Tensor? {
        guard dtype == .f32 || dtype == .bf16 else { return nil }
        let out = empty([count], dtype)
        guard count > 0 else { return out }
        context.launch(
            "rf_randn_philox", grid: ((threads + 255) / 256, 1, 1), block: 256,
            [.pointer(pointer(out)), .int64(count), .int64(Int(bitPattern: UInt(seed))), .int64(Int(offset)), .int64(threads),
             .int32(dtype.code)])
        return out
    }
}
