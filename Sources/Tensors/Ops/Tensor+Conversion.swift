/// Explicit dtype and device conversions. Nothing converts implicitly except that ops read
/// fp8 operands as their compute type.
extension Tensor {
    /// The tensor with elements of `dtype` (round to nearest even when narrowing; exact when
    /// widening). Returns `self` when the dtype already matches.
    public func to(dtype: DType) -> Tensor {
        require(dtype.isTensorElement, "a tensor cannot hold \(dtype.rawValue) elements")
        if dtype == self.dtype { return self }
        return backend.convert(self, to: dtype)
    }

    /// The tensor copied to `device` (through host memory when neither side is the CPU).
    /// Returns `self` when it is already there. Copying down to the CPU is a
    /// synchronisation point.
    public func to(device: Device) -> Tensor {
        if device == self.device { return self }
        if self.device == .cpu { return BackendRegistry.backend(for: device).transfer(self, to: device) }
        let host = backend.transfer(self, to: .cpu)
        return device == .cpu ? host : BackendRegistry.backend(for: device).transfer(host, to: device)
    }

    /// Every element rounded to the nearest bf16 value (ties to even, NaN stays NaN), kept
    /// in this tensor's dtype: what `x.to(torch.bfloat16).to(x.dtype)` gives. Model code
    /// computing in float32 calls it where ltx-core's bf16 pipeline rounds.
    public func roundedToBF16() -> Tensor {
        if dtype == .bf16 { return self }
        if device == .cpu && dtype == .f32 { return cpuRoundedToBF16() }
        return to(dtype: .bf16).to(dtype: dtype)
    }

    /// Rounds every element to the nearest bf16 value in place (float32 CPU tensors without
    /// a copy when the storage is not shared).
    public mutating func roundToBF16() {
        if device == .cpu && dtype == .f32 { cpuRoundToBF16() } else { self = roundedToBF16() }
    }
}
