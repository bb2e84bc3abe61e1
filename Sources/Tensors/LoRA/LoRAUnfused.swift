/// Unfused mode: the LoRA update applied beside the base linear, `y += Σ scale_i ·
/// (x · A_iᵀ) · B_iᵀ`, in float32, without building or copying a fused weight. Costs
/// `2·T·r·(in + out)` flops per LoRA for `T` rows of input instead of a fuse per weight.
///
/// Numerically this is not ltx-core's result: the fused path rounds the update and the
/// weight to bf16, this path keeps float32 throughout.
extension BoundLoRAStack {
    /// Adds the LoRA updates for `key` to a linear layer's output.
    /// - Parameters:
    ///   - key: the base weight key, as passed to `LoRAStack.bind(to:)`.
    ///   - x: input `[..., in]`.
    ///   - y: output of the base linear, `[..., out]` with the same leading axes as `x`.
    /// - Precondition: the shapes fit the LoRA pair's `in` and `out`.
    public func addUnfusedDelta(for key: String, input x: Tensor, to y: inout Tensor) {
        guard let updates = contributions[key], !allStrengthsZero else { return }
        for update in updates {
            let pair = update.pair
            let (inF, outF) = (pair.inFeatures, pair.outFeatures)
            require(x.shape.last == inF && y.shape.last == outF,
                "LoRA '\(pair.module)' maps \(inF) -> \(outF) features; input \(x.shape), output \(y.shape)")
            require(
                y.shape.dropLast() == x.shape.dropLast(), "input \(x.shape) and output \(y.shape) differ in rows")
            let a = pair.down.tensor(dtype: .f32, device: x.device)  // [r, in]
            let b = pair.up.tensor(dtype: .f32, device: x.device)  // [out, r]
            // y + scale · (x · Aᵀ) · Bᵀ, the scaling fused into the residual add.
            y = y.addingGated(x.linear(weight: a).linear(weight: b), gate: Tensor(update.scale).to(device: x.device))
        }
    }

    /// `x · Wᵀ + bias` plus the LoRA updates for `key`, reading the stored weight directly:
    /// an F32 weight is used in place in the file mapping, other dtypes are converted to
    /// float32 for the call (the fused weight is never built). Runs on `x`'s device.
    /// - Parameters:
    ///   - x: input `[..., in]`; `weight` is `[out, in]`; `bias` is `[out]`.
    /// - Throws: `WeightFileError.shapeMismatch` when the weight or bias does not fit `x`.
    public func linear(_ x: Tensor, weight: StoredTensor, bias: StoredTensor? = nil, key: String) throws(WeightFileError) -> Tensor {
        guard weight.shape.count == 2, x.shape.last == weight.shape[1] else {
            throw WeightFileError(.shapeMismatch, path: weight.path, tensor: weight.name,
                "a linear weight must be [out, in] with in = \(x.shape.last ?? 0) to take input \(x.shape); found \(weight.shape)")
        }
        let outF = weight.shape[0]
        if let bias, bias.shape != [outF] {
            throw WeightFileError(.shapeMismatch, path: bias.path, tensor: bias.name,
                "a bias for \(outF) outputs must have shape [\(outF)], found \(bias.shape)")
        }
        // An F32 weight is a view of the file mapping (no copy); other dtypes convert.
        var y = x.linear(
            weight: weight.tensor(dtype: .f32, device: x.device), bias: bias?.tensor(dtype: .f32, device: x.device))
        addUnfusedDelta(for: key, input: x, to: &y)
        return y
    }
}
