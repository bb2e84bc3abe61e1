import CCUDA
import Tensors

/// The bf16 fast paths (vectorized.cu): element-wise ops and row norms whose operands are all
/// bf16 and line up in runs of 8 move 16 bytes per load and store instead of 2. Each op tries
/// its fast path first and falls back to the generic kernel.
extension CUDABackend {
    /// How an operand of `shape` broadcast to `out` is read: element `(i / r) % p` for output
    /// index `i` (`p` 0: no wrap), or nil when no such pair describes it (a broadcast axis
    /// between two real ones).
    static func readPattern(_ shape: [Int], to out: [Int]) -> (r: Int, p: Int)? {
        let strides = Geometry.broadcastStrides(shape, to: out)
        var r = 1, p = 1
        var phase = 0  // 0: inner broadcast axes, 1: the operand's own axes, 2: outer broadcast axes
        var outer = false
        for axis in out.indices.reversed() where out[axis] != 1 {
            let stride = strides[axis]
            if phase == 0 && stride == 0 {
                r *= out[axis]
                continue
            }
            if phase <= 1 && stride == p {
                phase = 1
                p *= out[axis]
                continue
            }
            guard stride == 0 else { return nil }
            phase = 2
            outer = true
        }
        return (r, outer ? p : 0)
    }

    /// The pattern as a kernel argument, when each run of 8 output elements reads 8 contiguous
    /// elements (16-byte aligned) or one element of the operand.
    private func vectorPattern(_ t: Tensor, to out: [Int]) -> KernelArgument? {
        guard t.dtype == .bf16, pointer(t) % 16 == 0, let (r, p) = Self.readPattern(t.shape, to: out) else { return nil }
        guard (r == 1 && p % 8 == 0) || r % 8 == 0 else { return nil }
        return .words([Int64(r), Int64(p)])
    }

    /// Whether a bf16 result of `count` elements can take the 8-wide kernels.
    private func vectorCount(_ count: Int) -> Bool { count > 0 && count % 8 == 0 && count < Int(Int32.max) }

    func vectorBinary(_ code: Int32, _ a: Tensor, _ b: Tensor, shape: [Int]) -> Tensor? {
        let n = shape.reduce(1, *)
        guard vectorCount(n), let pa = vectorPattern(a, to: shape), let pb = vectorPattern(b, to: shape) else { return nil }
        let out = empty(shape, .bf16)
        context.launch(
            "rf_binary_bf16x8", items: n / 8,
            [.pointer(pointer(out)), .pointer(pointer(a)), .pointer(pointer(b)), .int32(Int32(n)), pa, pb, .int32(code)])
        return out
    }

    func vectorFused3(_ x: Tensor, _ a: Tensor, _ b: Tensor, op: Int32) -> Tensor? {
        let n = x.count
        guard x.dtype == .bf16, pointer(x) % 16 == 0, vectorCount(n), let pa = vectorPattern(a, to: x.shape),
            let pb = vectorPattern(b, to: x.shape)
        else { return nil }
        let out = empty(x.shape, .bf16)
        context.launch(
            "rf_fused3_bf16x8", items: n / 8,
            [.pointer(pointer(out)), .pointer(pointer(x)), .pointer(pointer(a)), .pointer(pointer(b)), .int32(Int32(n)), pa, pb,
             .int32(op)])
        return out
    }

    func vectorUnary(_ code: Int32, _ x: Tensor) -> Tensor? {
        guard x.dtype == .bf16, pointer(x) % 16 == 0, vectorCount(x.count) else { return nil }
        let out = empty(x.shape, .bf16)
        context.launch("rf_unary_bf16x8", items: x.count / 8, [.pointer(pointer(out)), .pointer(pointer(x)), .int32(Int32(x.count)), .int32(code)])
        return out
    }

    /// Rows of at most 8192 (4 chunks of 8 per thread of 256).
    func vectorRowNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float, kind: Int32) -> Tensor? {
        let n = x.shape.last ?? 0
        let operands = [x] + [weight, bias].compactMap { $0 }
        guard n > 0, n % 8 == 0, n <= 8 * 256 * 4, vectorCount(x.count),
            operands.allSatisfy({ $0.dtype == .bf16 && pointer($0) % 16 == 0 }),
            [weight, bias].allSatisfy({ $0 == nil || $0!.count == n })
        else { return nil }
        let rows = x.count / n
        let out = empty(x.shape, .bf16)
        context.launch(
            "rf_rownorm_bf16x8", grid: rowGrid(rows), block: 256,
            [.pointer(pointer(out)), .pointer(pointer(x)), .pointer(pointer(weight)), .pointer(pointer(bias)), .int32(Int32(rows)),
             .int32(Int32(n)), .float(eps), .int32(kind)])
        return out
    }
}
