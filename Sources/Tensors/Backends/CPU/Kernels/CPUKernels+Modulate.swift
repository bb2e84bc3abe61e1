internal import CKernels

/// The fused AdaLN kernels: `x * (1 + scale) + shift` and `x + y * gate` in one pass over
/// `x`, the other operands broadcast to `x`'s shape. `R` rounds after each step as torch's
/// separate bf16 ops do (`BF16Steps`), or not (`ExactSteps`).
extension Tensor {
    func cpuModulated(scale: Tensor, shift: Tensor, roundingToBF16: Bool) -> Tensor {
        roundingToBF16
            ? fused(scale, shift, BF16Steps.self) { x, s, h in BF16Steps.r(BF16Steps.r(x * BF16Steps.r(1 + s)) + h) }
            : fused(scale, shift, ExactSteps.self, rowKernel: reelflow_f32_modulate) { x, s, h in x * (1 + s) + h }
    }

    func cpuAddingGated(_ y: Tensor, gate: Tensor, roundingToBF16: Bool) -> Tensor {
        roundingToBF16
            ? fused(y, gate, BF16Steps.self) { x, y, g in BF16Steps.r(x + BF16Steps.r(y * g)) }
            : fused(y, gate, ExactSteps.self, rowKernel: reelflow_f32_add_gated) { x, y, g in x + y * g }
    }

    /// `out[i] = f(x[i], a[i'], b[i''])` with `a` and `b` broadcast to this tensor's shape;
    /// `rowKernel`, when given, computes `f` over a piece of a row where both run along it (the C
    /// kernels: 16 lanes with AVX-512, where Swift here gets SSE2).
    @inline(__always)
    private func fused<R: StepRounding>(
        _ a: Tensor, _ b: Tensor, _ rounding: R.Type,
        rowKernel: ((UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void)? = nil,
        _ f: (Float, Float, Float) -> Float
    ) -> Tensor {
        let plan = BroadcastPlan(outShape: shape, lhs: a.shape, rhs: b.shape)
        let inner = plan.extents[plan.extents.count - 1]
        let total = count
        return Tensor(shape: shape) { out in
            guard total > 0 else { return }
            withUnsafeBufferPointer { xb in
                a.withUnsafeBufferPointer { ab in
                    b.withUnsafeBufferPointer { bb in
                        let x = xb.baseAddress!, pa = ab.baseAddress!, pb = bb.baseAddress!, o = out.baseAddress!
                        let la = plan.lhsStrides[plan.extents.count - 1], lb = plan.rhsStrides[plan.extents.count - 1]
                        let rows = total / inner
                        let outerPlan = plan.outer
                        TensorThreads.parallelFor(rows, grain: Swift.max(1, (1 << 15) / inner)) { range in
                            for row in range {
                                let (offA, offB) = outerPlan.offsets(row)
                                let xr = x + row * inner, orow = o + row * inner
                                let ar = pa + offA, br = pb + offB
                                switch (la, lb) {
                                case (0, 0):
                                    let av = ar[0], bv = br[0]
                                    for j in 0..<inner { orow[j] = f(xr[j], av, bv) }
                                case (1, 1):
                                    if let rowKernel {
                                        rowKernel(xr, ar, br, orow, inner)
                                    } else {
                                        for j in 0..<inner { orow[j] = f(xr[j], ar[j], br[j]) }
                                    }
                                default:
                                    for j in 0..<inner { orow[j] = f(xr[j], ar[j * la], br[j * lb]) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
