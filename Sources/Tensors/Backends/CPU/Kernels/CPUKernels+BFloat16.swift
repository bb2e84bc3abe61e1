internal import CKernels

/// bf16 rounding of float32 tensors (`reelflow_round_bf16_f32`: AVX2 where the CPU has it,
/// the same values as `BFloat16.round`), for model code that rounds exactly where ltx-core's
/// bf16 pipeline rounds while computing in float32.
extension Tensor {
    /// Every element rounded to the nearest bf16 value (ties to even, NaN stays NaN),
    /// widened back to float32: what `x.to(torch.bfloat16).float()` gives.
    func cpuRoundedToBF16() -> Tensor {
        Tensor(shape: shape) { out in
            withUnsafeBufferPointer { src in
                guard let s = src.baseAddress, let d = out.baseAddress else { return }
                parallelFor(src.count, grain: 1 << 15) { r in
                    reelflow_round_bf16_f32(s + r.lowerBound, d + r.lowerBound, r.count)
                }
            }
        }
    }

    /// Rounds every element to the nearest bf16 value in place.
    mutating func cpuRoundToBF16() {
        withUnsafeMutableBufferPointer { buffer in
            guard let p = buffer.baseAddress else { return }
            parallelFor(buffer.count, grain: 1 << 15) { r in
                reelflow_round_bf16_f32(p + r.lowerBound, p + r.lowerBound, r.count)
            }
        }
    }
}
