/// Reductions, softmax and the norms the LTX models use. Every backend computes in float32
/// (group statistics in float64 on the CPU) and rounds the result once to the operands' dtype.
extension Tensor {
    /// The sum along `axis`, which is removed from the shape (torch `sum(dim)`).
    public func sum(alongAxis axis: Int) -> Tensor {
        backend.sum(self, axis: normalizedAxis(axis))
    }

    /// The mean along `axis`, which is removed from the shape (torch `mean(dim)`).
    public func mean(alongAxis axis: Int) -> Tensor {
        let n = shape[normalizedAxis(axis)]
        return sum(alongAxis: axis) / Float(n)
    }

    /// Softmax over the last axis: `exp(x - max) / sum(exp(x - max))` per row.
    public func softmax() -> Tensor {
        require(rank >= 1, "softmax needs at least one axis")
        return backend.softmax(self)
    }

    /// RMSNorm over the last axis: `x / sqrt(mean(x²) + eps) * weight` (torch `nn.RMSNorm`).
    public func rmsNorm(weight: Tensor? = nil, eps: Float = 1e-6) -> Tensor {
        require(rank >= 1, "rmsNorm needs at least one axis")
        if let weight { require(weight.shape == [shape[rank - 1]], "rmsNorm weight \(weight.shape) for \(shape)") }
        return Tensor.backend(self, weight).rmsNorm(self, weight: weight, eps: eps)
    }

    /// LayerNorm over the last axis (biased variance), with optional affine weight and bias.
    public func layerNorm(weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-6) -> Tensor {
        require(rank >= 1, "layerNorm needs at least one axis")
        for t in [weight, bias].compactMap({ $0 }) {
            require(t.shape == [shape[rank - 1]], "layerNorm affine \(t.shape) for \(shape)")
        }
        return Tensor.backend(self, weight, bias).layerNorm(self, weight: weight, bias: bias, eps: eps)
    }

    /// ltx-core's `PixelNorm`: `x / sqrt(mean over axis 1 of x² + eps)` on `[B, C, ...]`.
    public func pixelNorm(eps: Float = 1e-8) -> Tensor {
        require(rank >= 2, "pixelNorm expects [B, C, ...], got \(shape)")
        return backend.pixelNorm(self, eps: eps)
    }

    /// GroupNorm on `[B, C, ...]` over `groups` consecutive channel groups (biased variance),
    /// with optional per-channel weight and bias (torch `nn.GroupNorm`).
    public func groupNorm(groups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5) -> Tensor {
        require(rank >= 2, "groupNorm expects [B, C, ...], got \(shape)")
        require(groups > 0 && shape[1] % groups == 0, "groupNorm: \(shape[1]) channels in \(groups) groups")
        for t in [weight, bias].compactMap({ $0 }) {
            require(t.shape == [shape[1]], "groupNorm affine \(t.shape) for \(shape)")
        }
        return Tensor.backend(self, weight, bias).groupNorm(self, groups: groups, weight: weight, bias: bias, eps: eps)
    }
}
