internal import CKernels

extension Tensor {
    /// The most outputs `narrowLinear` takes.
    static let narrowLinearOutputs = 16

    /// float32 `x · weightᵀ (+ bias)` with at most `narrowLinearOutputs` outputs by
    /// `reelflow_f32_linear_narrow` (a dot product per output), rows spread over threads; nil
    /// where an operand is not float32, there are more outputs, or the CPU lacks AVX-512.
    ///
    /// Why: the per-head gate of LTX-2.3's attention is such a product (640 x 128 -> 4 in the
    /// tiny transformer). oneDNN's brgemm ran it in 25.8 µs on one thread (13 GFLOP/s: its
    /// 16-wide output tiles three-quarters empty), the dot products in a few µs
    /// (docs/benchmarks.md, "The tiny forward on AMD Zen 4").
    static func narrowLinear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor? {
        guard OneDNN.avx512, x.dtype == .f32, weight.dtype == .f32, bias.map({ $0.dtype == .f32 }) ?? true,
            x.rank >= 1, weight.rank == 2, weight.shape[0] <= narrowLinearOutputs
        else { return nil }
        let k = x.shape[x.rank - 1], n = weight.shape[0], m = x.count / Swift.max(1, k)
        guard weight.shape[1] == k, k > 0, n > 0, m > 0 else { return nil }
        var shape = x.shape
        shape[x.rank - 1] = n
        return Tensor(shape: shape) { out in
            x.withUnsafeBufferPointer { xb in
                weight.withUnsafeBufferPointer { wb in
                    // An empty array's buffer may still have a base address: test the bias itself.
                    let b = bias?.hostScalars() ?? []
                    b.withUnsafeBufferPointer { bb in
                        let (px, pw, po, pb) = (xb.baseAddress!, wb.baseAddress!, out.baseAddress!, bias == nil ? nil : bb.baseAddress)
                        parallelFor(m, grain: Swift.max(1, 32_768 / (k * n))) { range in
                            _ = reelflow_f32_linear_narrow(
                                px + range.lowerBound * k, pw, pb, po + range.lowerBound * n, range.count, k, n)
                        }
                    }
                }
            }
        }
    }
}
