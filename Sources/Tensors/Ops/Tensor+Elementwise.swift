/// Element-wise arithmetic with broadcasting, activations and the fused AdaLN family.
///
/// Broadcasting follows torch/NumPy: shapes are aligned at their last axis, a missing leading
/// axis counts as extent 1, and each pair of extents must be equal or one of them 1 (that
/// operand is repeated along the axis). So a bias `[C]` adds to `[B, T, C]`, a per-channel
/// scale `[1, C, 1, 1, 1]` multiplies `[B, C, F, H, W]`, and `[B, T, 1]` gates `[B, T, D]`.
///
/// Result dtype: as torch, a rank-0 operand (a Swift `Float`, or a scalar tensor) does not
/// widen a tensor of rank ≥ 1: `bf16 * 0.5` is bf16, computed in float32 and rounded once.
extension Tensor {
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { binary(.add, lhs, rhs) }
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { binary(.subtract, lhs, rhs) }
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { binary(.multiply, lhs, rhs) }
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { binary(.divide, lhs, rhs) }

    public static func + (lhs: Tensor, rhs: Float) -> Tensor { binary(.add, lhs, lhs.scalar(rhs)) }
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { binary(.subtract, lhs, lhs.scalar(rhs)) }
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { binary(.multiply, lhs, lhs.scalar(rhs)) }
    public static func / (lhs: Tensor, rhs: Float) -> Tensor { binary(.divide, lhs, lhs.scalar(rhs)) }
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { binary(.multiply, rhs.scalar(lhs), rhs) }
    public static func + (lhs: Float, rhs: Tensor) -> Tensor { binary(.add, rhs.scalar(lhs), rhs) }
    public static func - (lhs: Float, rhs: Tensor) -> Tensor { binary(.subtract, rhs.scalar(lhs), rhs) }
    public static func / (lhs: Float, rhs: Tensor) -> Tensor { binary(.divide, rhs.scalar(lhs), rhs) }
    public static prefix func - (x: Tensor) -> Tensor { binary(.multiply, x.scalar(-1), x) }

    /// A rank-0 float32 CPU tensor holding `value`.
    public init(_ value: Float) { self.init(shape: [], scalars: [value]) }

    /// A rank-0 float32 tensor holding `value` on this tensor's device.
    func scalar(_ value: Float) -> Tensor {
        device == .cpu ? Tensor(value) : Tensor(value).to(device: device)
    }

    /// Every element raised to at least `lower` (torch `clamp(min=lower)`); NaN stays NaN.
    public func clamped(min lower: Float) -> Tensor { Tensor.binary(.maximum, self, scalar(lower)) }

    /// The element-wise maximum of two broadcast operands (torch `maximum`).
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { binary(.maximum, a, b) }

    /// `x / (1 + e^-x)` (SiLU, as torch computes it).
    public func silu() -> Tensor { backend.unary(.silu, self) }

    /// `1 / (1 + e^-x)`.
    public func sigmoid() -> Tensor { backend.unary(.sigmoid, self) }

    /// GELU with the tanh approximation (torch `gelu(approximate="tanh")`).
    public func geluTanh() -> Tensor { backend.unary(.geluTanh, self) }

    /// The element-wise function `op`.
    public func applying(_ op: UnaryOp) -> Tensor { backend.unary(op, self) }

    /// `e^x` element-wise.
    public func exp() -> Tensor { backend.unary(.exp, self) }

    /// `cos x` element-wise.
    public func cos() -> Tensor { backend.unary(.cos, self) }

    /// `sin x` element-wise.
    public func sin() -> Tensor { backend.unary(.sin, self) }

    /// AdaLN modulation `self * (1 + scale) + shift` in one pass; `scale` and `shift`
    /// broadcast to this tensor's shape (e.g. `[B, 1, D]` against `[B, T, D]`). In bf16 the
    /// three steps round as torch's bf16 ops do (after `1 + scale`, the product and the sum).
    public func modulated(scale: Tensor, shift: Tensor) -> Tensor {
        for (name, t) in [("scale", scale), ("shift", shift)] {
            require(
                Tensor.broadcastShape(shape, t.shape) == shape,
                "modulate: \(name) \(t.shape) does not broadcast to \(shape)")
        }
        return Tensor.backend(self, scale, shift).modulate(self, scale: scale, shift: shift)
    }

    /// The gated residual `self + y * gate` in one pass; `y` and `gate` broadcast to this
    /// tensor's shape. In bf16 the product and the sum round as torch's bf16 ops do.
    public func addingGated(_ y: Tensor, gate: Tensor) -> Tensor {
        for (name, t) in [("y", y), ("gate", gate)] {
            require(
                Tensor.broadcastShape(shape, t.shape) == shape,
                "gated residual: \(name) \(t.shape) does not broadcast to \(shape)")
        }
        return Tensor.backend(self, y, gate).gatedResidual(self, y, gate: gate)
    }

    /// A new tensor of the same shape, dtype and device with `transform` applied to every
    /// element on the host, in float32. A host op: on a GPU it downloads, maps and uploads
    /// (a synchronisation point). `transform` must be pure.
    public func map(_ transform: (Float) -> Float) -> Tensor {
        let host = device == .cpu && dtype == .f32 ? self : to(device: .cpu).to(dtype: .f32)
        return host.cpuMap(transform).to(dtype: dtype).to(device: device)
    }

    /// The shape two operands broadcast to, or nil when they do not broadcast.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            guard x == y || x == 1 || y == 1 else { return nil }
            out[i] = x == 1 ? y : x
        }
        return out
    }

    static func binary(_ op: BinaryOp, _ lhs: Tensor, _ rhs: Tensor) -> Tensor {
        require(
            broadcastShape(lhs.shape, rhs.shape) != nil,
            "\(op.rawValue): shapes \(lhs.shape) and \(rhs.shape) do not broadcast")
        return backend(lhs, rhs).binary(op, lhs, rhs)
    }
}

extension DType {
    /// The dtype of an op's result over `operands`, as torch decides it: promoted over the
    /// operands of rank ≥ 1, or over all operands when every one is rank 0.
    public static func result(of operands: [Tensor]) -> DType {
        let dimensioned = operands.filter { $0.rank > 0 }
        let pool = dimensioned.isEmpty ? operands : dimensioned
        guard var dtype = pool.first?.dtype else { return .f32 }
        for t in pool.dropFirst() { dtype = DType.promoted(dtype, t.dtype) }
        return DType.promoted(dtype, dtype)
    }
}
