/// bf16 rounding, so model code can round exactly where ltx-core's bf16 pipeline rounds
/// (after each op whose PyTorch result is a bf16 tensor) while computing in float32.
extension Tensor {
    /// Every element rounded to the nearest bf16 value (ties to even, NaN stays NaN),
    /// widened back to float32: what `x.to(torch.bfloat16).float()` gives.
    func cpuRoundedToBF16() -> Tensor {
        unaryMap { BFloat16.round($0) }
    }

    /// Rounds every element to the nearest bf16 value in place.
    mutating func cpuRoundToBF16() {
        withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress
            parallelFor(buffer.count, grain: 1 << 15) { range in
                for i in range { p![i] = BFloat16.round(p![i]) }
            }
        }
    }
}
