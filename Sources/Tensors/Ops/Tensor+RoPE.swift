/// The two rotary-embedding layouts of ltx-core (`LTXRopeType`).
public enum RoPELayout: String, Sendable, CaseIterable {
    /// Pairs `(2i, 2i+1)` over the whole width are rotated (ltx-core's default, LTX-2):
    /// `y[2i] = x[2i]·c - x[2i+1]·s`, `y[2i+1] = x[2i+1]·c + x[2i]·s`, with cos/sin tables
    /// `[B, T, D]` whose entries come in equal pairs.
    case interleaved
    /// Each head's vector is split into halves `[x1 | x2]` (LTX-2.3):
    /// `y1 = x1·c - x2·s`, `y2 = x2·c + x1·s`, with cos/sin tables `[B, H, T, d/2]`.
    case split
}

extension Tensor {
    /// Rotary position embedding over the full width of `[B, T, D]` (ltx-core applies it to
    /// q and k before the heads are split). `cos`/`sin` are the tables ltx-core's
    /// `precompute_freqs_cis` returns for the layout; their batch extent may be 1.
    /// - interleaved: tables `[B, T, D]`.
    /// - split: tables `[B, H, T, D/(2H)]`; head h of token t uses row `[b, h, t]`.
    public func applyingRoPE(cos: Tensor, sin: Tensor, layout: RoPELayout) -> Tensor {
        require(rank == 3, "RoPE expects [B, T, D], got \(shape)")
        require(cos.shape == sin.shape, "RoPE cos \(cos.shape) and sin \(sin.shape) differ")
        return Tensor.backend(self, cos, sin).rope(self, cos: cos, sin: sin, layout: layout)
    }

    /// `rmsNorm(weight:eps:)` then `applyingRoPE(cos:sin:layout:)` (attention's QK norm before
    /// RoPE) as one op: on the CPU one pass in float32, the same bits as the two.
    public func rmsNormRoPE(weight: Tensor?, eps: Float, cos: Tensor, sin: Tensor, layout: RoPELayout) -> Tensor {
        require(rank == 3, "RoPE expects [B, T, D], got \(shape)")
        require(cos.shape == sin.shape, "RoPE cos \(cos.shape) and sin \(sin.shape) differ")
        if let weight { require(weight.shape == [shape[2]], "rmsNorm weight \(weight.shape) for \(shape)") }
        return Tensor.backend(self, weight, cos, sin).rmsNormRoPE(self, weight: weight, eps: eps, cos: cos, sin: sin, layout: layout)
    }
}
