/// The CPU backend: host memory, GEMMs through OpenBLAS, inner loops through the CKernels C
/// kernels (AVX2/FMA chosen at run time) and Swift loops, parallelised on the one
/// `TensorThreads` pool.
///
/// The kernels (`Kernels/`) compute in float32 on float32 operands. Every primitive here
/// widens operands of other dtypes to float32, runs the kernel and rounds the result once to
/// the result dtype (`DType.result(of:)`): what PyTorch's bf16 ops do on the CPU. The fused
/// AdaLN family is the exception that rounds in between, exactly where torch's separate bf16
/// ops would.
public final class CPUBackend: Backend {
    public static let shared = CPUBackend()

    public let name = "cpu"
    public var device: Device { .cpu }

    private init() {}

    /// `t` as float32 (itself when it already is).
    func f32(_ t: Tensor) -> Tensor { t.dtype == .f32 ? t : t.cpuConverted(to: .f32) }
    func f32(_ t: Tensor?) -> Tensor? { t.map { f32($0) } }
    /// A float32 kernel result in `dtype`.
    func finish(_ t: Tensor, _ dtype: DType) -> Tensor { dtype == .f32 ? t : t.cpuConverted(to: dtype) }

    // MARK: Memory

    public func transfer(_ tensor: Tensor, to device: Device) -> Tensor {
        require(
            tensor.device == .cpu && device == .cpu,
            "the CPU backend cannot move a tensor from \(tensor.device) to \(device)")
        return tensor
    }

    public func convert(_ tensor: Tensor, to dtype: DType) -> Tensor {
        tensor.cpuConverted(to: dtype)
    }

    // MARK: Products

    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        if let product = OneDNN.linear(x, weight: weight, bias: bias) { return product }
        if let product = Tensor.narrowLinear(x, weight: weight, bias: bias) { return product }
        if let product = OneDNN.floatLinear(x, weight: weight, bias: bias) { return product }
        let dtype = DType.result(of: [x, weight] + (bias.map { [$0] } ?? []))
        return finish(f32(x).cpuLinear(weight: f32(weight), bias: f32(bias)), dtype)
    }

    /// The product, then the activation written over it in place: the values of `unary` on
    /// the product, without a second `[..., out]` tensor (a feed-forward's hidden layer, 23 MB
    /// per block in bf16 at the small shape, whose fresh pages were half the page faults of a
    /// bf16 transformer step).
    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, activation: UnaryOp) -> Tensor {
        var product = linear(x, weight: weight, bias: bias)
        guard let kind = activation.activationKind, product.device == .cpu, product.activateInPlace(kind) else {
            return unary(activation, product)
        }
        return product
    }

    public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
        finish(
            Tensor.cpuMatmul(f32(a), f32(b), transposeA: transposeA, transposeB: transposeB),
            DType.result(of: [a, b]))
    }

    public func attention(
        query: Tensor, key: Tensor, value: Tensor, layout: AttentionLayout, mask: AttentionMask?,
        scale: Float
    ) -> Tensor {
        let dtype = DType.result(of: [query, key, value])
        let mask = mask.map { m in m.tensor.map { m.replacing(f32($0)) } ?? m }
        // The kernel takes bf16 operands as they are (oneDNN multiplies them) and widens the rest.
        let (q, k, v) = (query, key, value)
        let out: Tensor
        switch layout {
        case .headsFirst:
            out = Tensor.cpuScaledDotProductAttention(
                query: q, key: k, value: v, mask: mask, scale: scale, roundProbabilities: dtype == .bf16)
        case .tokensFirst(let heads):
            out = Tensor.cpuAttention(
                query: q, key: k, value: v, heads: heads, mask: mask, scale: scale, roundProbabilities: dtype == .bf16)
        }
        return finish(out, dtype)
    }

    // MARK: Element-wise

    public func unary(_ op: UnaryOp, _ x: Tensor) -> Tensor {
        if x.dtype == .bf16, let kind = op.activationKind { return x.cpuUnaryBF16(kind) }
        return finish(f32(x).cpuUnary(op), DType.result(of: [x]))
    }

    public func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor {
        if a.dtype == .bf16, b.dtype == .bf16 {
            switch op {
            case .add: return Tensor.cpuBinaryBF16(a, b, Add.self)
            case .subtract: return Tensor.cpuBinaryBF16(a, b, Subtract.self)
            case .multiply: return Tensor.cpuBinaryBF16(a, b, Multiply.self)
            case .divide: return Tensor.cpuBinaryBF16(a, b, Divide.self)
            case .maximum: return Tensor.cpuBinaryBF16(a, b, Maximum.self)
            }
        }
        let (fa, fb) = (f32(a), f32(b))
        let out: Tensor
        switch op {
        case .add: out = Tensor.broadcast(fa, fb, Add.self)
        case .subtract: out = Tensor.broadcast(fa, fb, Subtract.self)
        case .multiply: out = Tensor.broadcast(fa, fb, Multiply.self)
        case .divide: out = Tensor.broadcast(fa, fb, Divide.self)
        case .maximum: out = Tensor.broadcast(fa, fb, Maximum.self)
        }
        return finish(out, DType.result(of: [a, b]))
    }

    public func modulate(_ x: Tensor, scale: Tensor, shift: Tensor) -> Tensor {
        if x.dtype == .bf16, scale.dtype == .bf16, shift.dtype == .bf16 { return x.cpuModulatedBF16(scale: scale, shift: shift) }
        let dtype = DType.result(of: [x, scale, shift])
        return finish(f32(x).cpuModulated(scale: f32(scale), shift: f32(shift), roundingToBF16: dtype == .bf16), dtype)
    }

    public func gatedResidual(_ x: Tensor, _ y: Tensor, gate: Tensor) -> Tensor {
        if x.dtype == .bf16, y.dtype == .bf16, gate.dtype == .bf16 { return x.cpuAddingGatedBF16(y, gate: gate) }
        let dtype = DType.result(of: [x, y, gate])
        return finish(f32(x).cpuAddingGated(f32(y), gate: f32(gate), roundingToBF16: dtype == .bf16), dtype)
    }

    public func normModulate(
        _ x: Tensor, norm: ModulatedNorm, eps: Float, rows: Tensor, runs: RowRuns, scale: Int, shift: Int
    ) -> Tensor {
        guard x.dtype == rows.dtype, x.dtype == .f32 || x.dtype == .bf16 else {
            return normModulateComposed(x, norm: norm, eps: eps, rows: rows, runs: runs, scale: scale, shift: shift)
        }
        return x.cpuNormModulated(norm, eps: eps, rows: rows, runs: runs, scale: scale, shift: shift)
    }

    public func gatedResidual(_ x: Tensor, _ y: Tensor, rows: Tensor, runs: RowRuns, gate: Int) -> Tensor {
        guard x.dtype == y.dtype, x.dtype == rows.dtype, x.dtype == .f32 || x.dtype == .bf16 else {
            return gatedResidualComposed(x, y, rows: rows, runs: runs, gate: gate)
        }
        return x.cpuAddingGated(y, rows: rows, runs: runs, gate: gate)
    }

    // MARK: Reductions and norms

    public func sum(_ x: Tensor, axis: Int) -> Tensor {
        finish(f32(x).cpuSum(alongAxis: axis), DType.result(of: [x]))
    }

    public func softmax(_ x: Tensor) -> Tensor {
        finish(f32(x).cpuSoftmax(), DType.result(of: [x]))
    }

    public func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float) -> Tensor {
        if x.dtype == .bf16, weight?.dtype ?? .bf16 == .bf16 { return x.cpuRMSNormBF16(weight: weight, eps: eps) }
        return finish(f32(x).cpuRMSNorm(weight: f32(weight), eps: eps), DType.result(of: [x] + [weight].compactMap { $0 }))
    }

    public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
        finish(
            f32(x).cpuLayerNorm(weight: f32(weight), bias: f32(bias), eps: eps),
            DType.result(of: [x] + [weight, bias].compactMap { $0 }))
    }

    public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
        if x.dtype == .bf16, weight?.dtype ?? .bf16 == .bf16, bias?.dtype ?? .bf16 == .bf16 {
            return x.cpuGroupNormBF16(groups: groups, weight: weight, bias: bias, eps: eps)
        }
        return finish(
            f32(x).cpuGroupNorm(groups: groups, weight: f32(weight), bias: f32(bias), eps: eps),
            DType.result(of: [x] + [weight, bias].compactMap { $0 }))
    }

    public func pixelNorm(_ x: Tensor, eps: Float) -> Tensor {
        // ltx-core's PixelNorm is a chain of torch ops; in bf16 each one rounds.
        let dtype = DType.result(of: [x])
        if x.dtype == .bf16 { return x.cpuPixelNormBF16(eps: eps) }
        let y = dtype == .bf16 ? f32(x).cpuPixelNorm(eps: eps, rounding: BF16Steps.self) : f32(x).cpuPixelNorm(eps: eps, rounding: ExactSteps.self)
        return finish(y, dtype)
    }

    // MARK: Positional

    public func rope(_ x: Tensor, cos: Tensor, sin: Tensor, layout: RoPELayout) -> Tensor {
        // ltx-core's RoPE is a chain of torch ops; in bf16 they round in between.
        if x.dtype == .bf16, cos.dtype == .bf16, sin.dtype == .bf16 { return x.cpuRoPEBF16(cos: cos, sin: sin, layout: layout) }
        let dtype = DType.result(of: [x, cos, sin])
        let (x, c, s) = (f32(x), f32(cos), f32(sin))
        let y = dtype == .bf16
            ? x.cpuRoPE(cos: c, sin: s, layout: layout, rounding: BF16Steps.self)
            : x.cpuRoPE(cos: c, sin: s, layout: layout, rounding: ExactSteps.self)
        return finish(y, dtype)
    }

    public func rmsNormRoPE(
        _ x: Tensor, weight: Tensor?, eps: Float, cos: Tensor, sin: Tensor, layout: RoPELayout
    ) -> Tensor {
        guard [x, cos, sin].allSatisfy({ $0.dtype == .f32 }), weight?.dtype ?? .f32 == .f32 else {
            return rope(rmsNorm(x, weight: weight, eps: eps), cos: cos, sin: sin, layout: layout)
        }
        return x.cpuRoPE(cos: cos, sin: sin, layout: layout, rounding: ExactSteps.self, rmsNorm: (weight, eps))
    }

    // MARK: Convolution, shuffles, resampling

    public func conv3d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: [Int], padding: [AxisPadding]) -> Tensor {
        let dtype = DType.result(of: [x, weight] + [bias].compactMap { $0 })
        if dtype == .bf16, x.dtype == .bf16, weight.dtype == .bf16,
            let y = Convolution.bf16(input: x, weight: weight, bias: bias, stride: stride, padding: padding)
        {
            return y
        }
        return finish(f32(x).cpuConv3d(weight: f32(weight), bias: f32(bias), stride: stride, padding: padding), dtype)
    }

    public func spaceToDepth(_ x: Tensor, factors: [Int], order: SpaceToDepthOrder) -> Tensor {
        finish(words(x).cpuSpaceToDepth(factors, order: order), DType.result(of: [x]))
    }

    public func depthToSpace(_ x: Tensor, factors: [Int], order: SpaceToDepthOrder) -> Tensor {
        finish(words(x).cpuDepthToSpace(factors, order: order), DType.result(of: [x]))
    }

    public func interpolate(_ x: Tensor, size: [Int], mode: InterpolationMode) -> Tensor {
        finish(f32(x).cpuInterpolated(size: size, mode: mode), DType.result(of: [x]))
    }

    // MARK: Layout (exact in every dtype, so no rounding is involved)

    // bf16 tensors are moved as words (no widening, no rounding); other dtypes via float32.
    func words(_ t: Tensor) -> Tensor { t.dtype == .bf16 ? t : f32(t) }

    public func permute(_ x: Tensor, axes: [Int]) -> Tensor {
        finish(words(x).cpuPermuted(axes), x.dtype)
    }

    public func slice(_ x: Tensor, axis: Int, range: Range<Int>) -> Tensor {
        finish(words(x).cpuSliced(axis: axis, range), x.dtype)
    }

    public func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
        let dtype = tensors.dropFirst().reduce(tensors[0].dtype) { DType.promoted($0, $1.dtype) }
        if tensors.allSatisfy({ $0.dtype == .bf16 }) { return Tensor.cpuConcatenated(tensors, axis: axis) }
        return finish(Tensor.cpuConcatenated(tensors.map { f32($0) }, axis: axis), DType.promoted(dtype, dtype))
    }

    public func addRegion(_ base: inout Tensor, _ values: Tensor, offsets: [Int]) {
        if base.dtype == .f32 {
            base.cpuAddRegion(f32(values), offsets: offsets)
        } else if base.dtype == .bf16, values.dtype == .bf16 || values.dtype == .f32 {
            base.cpuAddRegionBF16(values, offsets: offsets)
        } else {
            var wide = f32(base)
            wide.cpuAddRegion(f32(values), offsets: offsets)
            base = finish(wide, base.dtype)
        }
    }
}

// MARK: - Tuning surface (benchmarks and docs)

extension CPUBackend {
    /// Default attention tiles: 256 queries × 512 keys, 512 KiB of scores per worker.
    public static var attentionTile: (queries: Int, keys: Int) {
        (Tensor.attentionQueryBlock, Tensor.attentionKeyBlock)
    }

    /// Bytes of scratch the blocked attention holds at once on `workers` threads (one score
    /// tile and two per-row vectors per worker); the output is not counted.
    public static func attentionScratchBytes(
        queryTokens: Int, keyTokens: Int, workers: Int = TensorThreads.count
    ) -> Int {
        Tensor.attentionScratchBytes(queryTokens: queryTokens, keyTokens: keyTokens, workers: workers)
    }

    /// Token-layout attention with explicit tile extents, for tuning the tiles
    /// (`tensor-bench kernels`); float32 operands.
    public func attention(
        query: Tensor, key: Tensor, value: Tensor, heads: Int, queryBlock: Int, keyBlock: Int
    ) -> Tensor {
        Tensor.cpuAttention(
            query: f32(query), key: f32(key), value: f32(value), heads: heads, queryBlock: queryBlock,
            keyBlock: keyBlock)
    }
}
