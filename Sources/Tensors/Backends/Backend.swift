/// The seam between the tensor API and the code that runs ops on a device.
///
/// Every public op on `Tensor` checks its operands and calls one of these primitives on the
/// backend of their device (`BackendRegistry`), so model code never sees where or how an op
/// runs. The set is small (tinygrad's lesson): matrix products, blocked attention, element-wise
/// families with broadcasting, a fused AdaLN family (its modulation per token or per run of
/// tokens), one reduction, softmax and the four norms, RoPE, convolution, the space/depth
/// shuffles, interpolation, layout copies, and dtype and device conversion. Shape-only ops
/// (`reshaped`, `unsqueezed`, `squeezed`) never reach a backend.
///
/// Contract for an implementation (docs/tensors.md, "Writing a backend"):
/// - Operands arrive on `device` with shapes already checked by `Tensor`'s public op, in any
///   tensor dtype; compute in float32 (or wider) and return the result in
///   `DType.promoted` of the floating operands, rounded once at the end, as PyTorch's bf16
///   ops do on the CPU. fp8 operands are converted on use.
/// - Results are new, contiguous, row-major tensors; operands are never written.
/// - Results must not depend on thread count or scheduling.
/// - It passes the shared op suite (`Tests/TensorsTests/Backend/`), which runs every
///   primitive against the committed PyTorch fixtures and against `ReferenceBackend`.
public protocol Backend: AnyObject, Sendable {
    /// A short name for messages and benchmarks (`cpu`, `reference`, `cuda`).
    var name: String { get }
    /// The device whose tensors this backend computes on.
    var device: Device { get }

    // MARK: Memory
    /// `tensor` (on the host, or on this backend's device) copied to `device`; the host side
    /// of a download is a synchronisation point.
    func transfer(_ tensor: Tensor, to device: Device) -> Tensor
    /// `tensor` converted to `dtype` (round to nearest even when narrowing).
    func convert(_ tensor: Tensor, to dtype: DType) -> Tensor
    /// A new tensor on `device` with every element `value` rounded to `dtype`. The default
    /// fills one on the host and transfers it; a GPU backend fills in place (a tiled decode's
    /// 400 MB accumulator built on the host cost a third of the decode's time).
    func filled(_ value: Float, shape: [Int], dtype: DType) -> Tensor

    // MARK: Products
    /// `x [..., in] · weightᵀ + bias`, `weight [out, in]`.
    func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor
    /// `activation(x · Wᵀ + b)`: a feed-forward's first layer. A backend may apply the
    /// activation to the float32 product before its one rounding (a GEMM epilogue: the
    /// product never reaches memory), within a few ulps of `linear` then `unary` (cuBLASLt's
    /// GELU: 2-5 bf16 ulps on values above 1e-3 of the output's scale); the default runs
    /// those two.
    func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, activation: UnaryOp) -> Tensor
    /// `[..., M, K] · [..., K, N]`, batch axes broadcast; transposes read in place.
    func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor
    /// `softmax(q·kᵀ·scale + mask)·v` per head, memory linear in tokens.
    func attention(
        query: Tensor, key: Tensor, value: Tensor, layout: AttentionLayout, mask: AttentionMask?,
        scale: Float
    ) -> Tensor

    // MARK: Element-wise
    func unary(_ op: UnaryOp, _ x: Tensor) -> Tensor
    /// torch/NumPy broadcasting.
    func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor
    /// AdaLN: `x * (1 + scale) + shift`, `scale` and `shift` broadcast to `x`.
    func modulate(_ x: Tensor, scale: Tensor, shift: Tensor) -> Tensor
    /// Gated residual: `x + y * gate`, `y` and `gate` broadcast to `x`.
    func gatedResidual(_ x: Tensor, _ y: Tensor, gate: Tensor) -> Tensor
    /// `norm(x) * (1 + rows[r, scale]) + rows[r, shift]` per token of run `r` (`rows [R, K, D]`,
    /// shapes checked). The default (`normModulateComposed`) spreads the two vectors over the
    /// tokens and runs the norm and `modulate`; a kernel does it in one pass with the same
    /// values (the same roundings in bf16).
    func normModulate(
        _ x: Tensor, norm: ModulatedNorm, eps: Float, rows: Tensor, runs: RowRuns, scale: Int, shift: Int
    ) -> Tensor
    /// `x + y * rows[r, gate]` per token of run `r`; the default spreads the gate
    /// (`gatedResidualComposed`).
    func gatedResidual(_ x: Tensor, _ y: Tensor, rows: Tensor, runs: RowRuns, gate: Int) -> Tensor

    // MARK: Reductions and norms
    /// The sum along `axis` (removed from the shape).
    func sum(_ x: Tensor, axis: Int) -> Tensor
    /// Softmax over the last axis.
    func softmax(_ x: Tensor) -> Tensor
    func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float) -> Tensor
    func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor
    func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor
    func pixelNorm(_ x: Tensor, eps: Float) -> Tensor

    // MARK: Positional
    func rope(_ x: Tensor, cos: Tensor, sin: Tensor, layout: RoPELayout) -> Tensor
    /// `rope(rmsNorm(x, weight, eps), ...)` (attention's QK norm, then RoPE); the default runs
    /// the two, a kernel may do both in one pass with the same values.
    func rmsNormRoPE(_ x: Tensor, weight: Tensor?, eps: Float, cos: Tensor, sin: Tensor, layout: RoPELayout) -> Tensor

    // MARK: Convolution, shuffles, resampling
    /// 3D convolution of `[B, Cin, F, H, W]` with `[Cout, Cin, kt, kh, kw]` (2D convolutions
    /// arrive as F = kt = 1).
    func conv3d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: [Int], padding: [AxisPadding]) -> Tensor
    func spaceToDepth(_ x: Tensor, factors: [Int], order: SpaceToDepthOrder) -> Tensor
    func depthToSpace(_ x: Tensor, factors: [Int], order: SpaceToDepthOrder) -> Tensor
    /// Resampling of the last two axes to `size`.
    func interpolate(_ x: Tensor, size: [Int], mode: InterpolationMode) -> Tensor

    // MARK: Layout
    func permute(_ x: Tensor, axes: [Int]) -> Tensor
    func slice(_ x: Tensor, axis: Int, range: Range<Int>) -> Tensor
    func concat(_ tensors: [Tensor], axis: Int) -> Tensor
    /// Adds `values` into the box of `base` that starts at `offsets` (same rank, the box
    /// inside `base`), in place when `base`'s storage is not shared; the result keeps `base`'s
    /// dtype (rounded once per element, as torch's `base[box] += values`). Tiled decoding
    /// accumulates tiles this way in memory bounded by the output.
    func addRegion(_ base: inout Tensor, _ values: Tensor, offsets: [Int])

    // MARK: Random (optional)
    /// `torch.randn(count)` on torch's CUDA generator, drawn on this backend's device:
    /// Philox4x32-10 from `seed` at `offset` (words), `threads` threads (torch's launch rule),
    /// cuRAND's Box-Muller with the GPU's `logf` and `__sincosf`; float32 or bf16. nil when the
    /// backend does not draw it natively; `TorchGenerator` then emulates the draw on the host
    /// (exact Philox words, last-bit differences in the Box-Muller step: docs/noise.md) and
    /// copies it over.
    func torchCUDANormal(count: Int, seed: UInt64, offset: UInt64, threads: Int, dtype: DType) -> Tensor?
}

extension Backend {
    public func filled(_ value: Float, shape: [Int], dtype: DType) -> Tensor {
        transfer(Tensor(repeating: value, shape: shape, dtype: dtype), to: device)
    }

    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, activation: UnaryOp) -> Tensor {
        unary(activation, linear(x, weight: weight, bias: bias))
    }

    public func torchCUDANormal(count: Int, seed: UInt64, offset: UInt64, threads: Int, dtype: DType) -> Tensor? { nil }

    public func rmsNormRoPE(
        _ x: Tensor, weight: Tensor?, eps: Float, cos: Tensor, sin: Tensor, layout: RoPELayout
    ) -> Tensor {
        rope(rmsNorm(x, weight: weight, eps: eps), cos: cos, sin: sin, layout: layout)
    }

    public func normModulate(
        _ x: Tensor, norm: ModulatedNorm, eps: Float, rows: Tensor, runs: RowRuns, scale: Int, shift: Int
    ) -> Tensor {
        normModulateComposed(x, norm: norm, eps: eps, rows: rows, runs: runs, scale: scale, shift: shift)
    }

    public func gatedResidual(_ x: Tensor, _ y: Tensor, rows: Tensor, runs: RowRuns, gate: Int) -> Tensor {
        gatedResidualComposed(x, y, rows: rows, runs: runs, gate: gate)
    }

    /// `normModulate` from this backend's norm and `modulate`, the vectors spread over the
    /// tokens first (`Tensor.spreadingRuns`).
    public func normModulateComposed(
        _ x: Tensor, norm: ModulatedNorm, eps: Float, rows: Tensor, runs: RowRuns, scale: Int, shift: Int
    ) -> Tensor {
        let normed = norm == .rms ? rmsNorm(x, weight: nil, eps: eps) : layerNorm(x, weight: nil, bias: nil, eps: eps)
        return modulate(
            normed, scale: rows.spreadingRuns(runs, chunk: scale, like: x),
            shift: rows.spreadingRuns(runs, chunk: shift, like: x))
    }

    /// `gatedResidual` with the gate spread over the tokens first.
    public func gatedResidualComposed(_ x: Tensor, _ y: Tensor, rows: Tensor, runs: RowRuns, gate: Int) -> Tensor {
        gatedResidual(x, y, gate: rows.spreadingRuns(runs, chunk: gate, like: x))
    }
}

/// Element-wise functions of one operand.
public enum UnaryOp: String, Sendable, CaseIterable {
    /// `e^x`.
    case exp
    /// `1 / (1 + e^-x)`.
    case sigmoid
    /// `x / (1 + e^-x)`, as torch computes SiLU.
    case silu
    /// torch's `gelu(approximate="tanh")`.
    case geluTanh
    /// `cos x` and `sin x` (RoPE tables, timestep features): on the CPU a vectorised kernel
    /// within 1.5 ulp of the exact value (measured; the C library's functions beyond |x| =
    /// 65536 and on CPUs without AVX2), CUDA's `cosf`/`sinf` (at most 2 ulp off) on a GPU.
    case cos, sin
}

/// Element-wise functions of two broadcast operands.
public enum BinaryOp: String, Sendable, CaseIterable {
    case add, subtract, multiply, divide
    /// torch `maximum` (`clamp(min:)` with a scalar operand); NaN propagates.
    case maximum
}

/// How attention operands lay out heads.
public enum AttentionLayout: Sendable, Equatable {
    /// torch SDPA: `[B, H, T, d]`.
    case headsFirst
    /// ltx-core: `[B, T, H*d]` with `heads` heads split from the last axis.
    case tokensFirst(heads: Int)
}
