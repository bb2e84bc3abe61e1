/// Linear layers, (batched) matrix products and attention.
extension Tensor {
    /// A fully connected layer: `y = x · Wᵀ + b` over the last axis.
    ///
    /// `weight` is stored `[out, in]` as PyTorch stores `nn.Linear.weight` and is read in
    /// place; `x` is `[..., in]`, the result `[..., out]`.
    /// - Parameters:
    ///   - weight: `[out, in]`.
    ///   - bias: `[out]`, or nil.
    public func linear(weight: Tensor, bias: Tensor? = nil) -> Tensor {
        checkLinear(weight: weight, bias: bias)
        return Tensor.backend(self, weight, bias).linear(self, weight: weight, bias: bias)
    }

    /// `activation(x · Wᵀ + b)`: on the CPU exactly `linear(weight:bias:)` followed by the
    /// activation. On a GPU the activation runs in the GEMM's epilogue, so the `[..., out]`
    /// product before it is never held (a feed-forward's first layer at 11264 tokens × 16384
    /// is 352 MiB of bf16); its result is rounded once and its GELU is cuBLASLt's, a few bf16
    /// ulps from the two ops on values above 1e-3 of the output's scale.
    public func linear(weight: Tensor, bias: Tensor? = nil, activation: UnaryOp) -> Tensor {
        checkLinear(weight: weight, bias: bias)
        return Tensor.backend(self, weight, bias).linear(self, weight: weight, bias: bias, activation: activation)
    }

    private func checkLinear(weight: Tensor, bias: Tensor?) {
        require(rank >= 1, "linear needs at least one axis, got shape \(shape)")
        require(weight.rank == 2, "linear weight must be [out, in], got \(weight.shape)")
        require(
            weight.shape[1] == shape[rank - 1],
            "linear: input \(shape) has \(shape[rank - 1]) features, weight \(weight.shape) expects \(weight.shape[1])")
        if let bias {
            require(bias.shape == [weight.shape[0]], "linear bias must be [\(weight.shape[0])], got \(bias.shape)")
        }
    }

    /// Matrix product over the last two axes, batched over the leading ones:
    /// `[..., M, K] · [..., K, N] -> [..., M, N]` (with `transposeA`/`transposeB` the operand
    /// is read as its transpose in place, e.g. `[..., N, K]` for B). Leading (batch) axes
    /// broadcast by the element-wise rules, so a `[K, N]` matrix multiplies every item of a
    /// `[B, H, M, K]` batch.
    public static func matmul(
        _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false
    ) -> Tensor {
        require(a.rank >= 2 && b.rank >= 2, "matmul needs matrices, got \(a.shape) and \(b.shape)")
        let ka = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
        let kb = transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2]
        require(ka == kb, "matmul: inner extents differ, \(a.shape) · \(b.shape)")
        require(
            broadcastShape(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))) != nil,
            "matmul: batch axes \(a.shape.dropLast(2)) and \(b.shape.dropLast(2)) do not broadcast")
        return backend(a, b).matmul(a, b, transposeA: transposeA, transposeB: transposeB)
    }

    /// Attention in torch's SDPA layout: `query [B, H, Tq, d]`, `key [B, H, Tk, d]`,
    /// `value [B, H, Tk, dv]` -> `[B, H, Tq, dv]`. `scale` defaults to `1/sqrt(d)`.
    /// `softmax(q·kᵀ·scale + mask)·v` per head; memory linear in tokens on every backend.
    public static func scaledDotProductAttention(
        query: Tensor, key: Tensor, value: Tensor, mask: AttentionMask? = nil, scale: Float? = nil
    ) -> Tensor {
        require(
            query.rank == 4 && key.rank == 4 && value.rank == 4,
            "attention expects [B, H, T, d] operands, got \(query.shape), \(key.shape), \(value.shape)")
        let (b, h, d) = (query.shape[0], query.shape[1], query.shape[3])
        let tk = key.shape[2], dv = value.shape[3]
        require(
            key.shape == [b, h, tk, d] && value.shape == [b, h, tk, dv],
            "attention: key \(key.shape) / value \(value.shape) do not fit query \(query.shape)")
        checkGroups(mask, batch: b, queryTokens: query.shape[2], keyTokens: tk)
        return backend(query, key, value, mask?.tensor).attention(
            query: query, key: key, value: value, layout: .headsFirst, mask: mask,
            scale: scale ?? 1 / Float(d).squareRoot())
    }

    /// Attention in ltx-core's token layout: `query [B, Tq, H*d]`, `key [B, Tk, H*d]`,
    /// `value [B, Tk, H*dv]` -> `[B, Tq, H*dv]`, heads split from the last axis as ltx-core's
    /// `view(b, -1, heads, dim_head)` does (read in place, no transposed copies).
    public static func attention(
        query: Tensor, key: Tensor, value: Tensor, heads: Int, mask: AttentionMask? = nil,
        scale: Float? = nil
    ) -> Tensor {
        require(
            query.rank == 3 && key.rank == 3 && value.rank == 3,
            "attention expects [B, T, H*d] operands, got \(query.shape), \(key.shape), \(value.shape)")
        let (b, width) = (query.shape[0], query.shape[2])
        let tk = key.shape[1]
        require(heads > 0 && width % heads == 0, "attention: width \(width) not divisible by \(heads) heads")
        require(
            key.shape == [b, tk, width] && value.shape[0] == b && value.shape[1] == tk
                && value.shape[2] % heads == 0,
            "attention: key \(key.shape) / value \(value.shape) do not fit query \(query.shape)")
        checkGroups(mask, batch: b, queryTokens: query.shape[1], keyTokens: tk)
        return backend(query, key, value, mask?.tensor).attention(
            query: query, key: key, value: value, layout: .tokensFirst(heads: heads), mask: mask,
            scale: scale ?? 1 / Float(width / heads).squareRoot())
    }
}

extension Tensor {
    static func checkGroups(_ mask: AttentionMask?, batch: Int, queryTokens: Int, keyTokens: Int) {
        guard case .groups(let g)? = mask else { return }
        require(
            g.tokenCount == queryTokens && g.tokenCount == keyTokens && (g.batch == batch || g.batch == 1),
            "grouped attention weights for \(g.batch) x \(g.tokenCount) tokens, attention over \(batch) x \(queryTokens) x \(keyTokens)")
    }
}

/// A mask for scaled-dot-product attention, broadcastable to `[B, H, Tq, Tk]` (shapes are
/// aligned at the last axis, each extent equal or 1, as torch's `attn_mask`).
public enum AttentionMask: Sendable {
    /// Added to the scaled scores before softmax (torch's float `attn_mask`; ltx-core's
    /// `log(M)` attention bias).
    case additive(Tensor)
    /// Multiplies the softmax weights before normalisation: `w ∝ M · exp(score)`, so
    /// `M = 0` excludes a key exactly and a 0/1 mask is torch's boolean `attn_mask` (true =
    /// attend). Equal to `additive(log M)` without computing a log per score.
    case multiplicative(Tensor)
    /// Self-attention weights between token groups in block form (memory linear in tokens),
    /// turned into ltx-core's log bias; query and key tokens must both be the grouped tokens.
    case groups(TokenGroupWeights)

    /// The mask tensor of `.additive` and `.multiplicative`; nil for `.groups`.
    public var tensor: Tensor? {
        switch self {
        case .additive(let t), .multiplicative(let t): t
        case .groups: nil
        }
    }

    /// The same kind of mask over `tensor` (`.groups` stays as it is).
    func replacing(_ tensor: Tensor) -> AttentionMask {
        switch self {
        case .additive: .additive(tensor)
        case .multiplicative: .multiplicative(tensor)
        case .groups: self
        }
    }
}
