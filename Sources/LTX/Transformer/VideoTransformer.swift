import Foundation
import Tensors

/// The LTX-2 / LTX-2.3 video transformer (ltx-core's `LTXModel`, video stream only), written
/// on `Tensor` ops so it runs on any backend. `velocity` is one forward; `denoised` is
/// ltx-core's `X0Model` (`x0 = x - v · t` per token). Reading map 3.1-3.8.
public struct VideoTransformer: Sendable {
    public let config: TransformerConfig
    public var weights: TransformerWeights

    public init(config: TransformerConfig, weights: TransformerWeights) {
        self.config = config
        self.weights = weights
    }

    /// The inputs of one forward, as ltx-core's `Modality` holds them.
    public struct Input: Sendable {
        /// Patchified tokens `[B, T, in_channels]`; their dtype is the compute dtype.
        public var latent: Tensor
        /// Per-token timesteps `sigma · mask`, `[B, T]` or `[B, T, 1]`.
        public var timesteps: Tensor
        /// The step's sigma per sample `[B]` (the prompt AdaLN's input).
        public var sigma: Tensor
        /// Pixel bounds `[B, 3, T, 2]` (float32, or bf16 for the precision trap).
        public var positions: Tensor
        /// The prompt context `[B, S, W]`.
        public var context: Tensor
        /// Optional `[B, T, T]` self-attention weights in `[0, 1]` (ltx-core's dense form).
        public var attentionMask: Tensor?
        /// Optional self-attention weights in block form (what conditioning builds); used
        /// instead of `attentionMask` when both are set.
        public var groupWeights: TokenGroupWeights?

        public init(
            latent: Tensor, timesteps: Tensor, sigma: Tensor, positions: Tensor, context: Tensor,
            attentionMask: Tensor? = nil, groupWeights: TokenGroupWeights? = nil
        ) {
            self.latent = latent
            self.timesteps = timesteps
            self.sigma = sigma
            self.positions = positions
            self.context = context
            self.attentionMask = attentionMask
            self.groupWeights = groupWeights
        }
    }

    /// The predicted velocity `[B, T, out_channels]`.
    public func velocity(_ input: Input) -> Tensor {
        velocity(input, liveTokens: input.latent.shape[1])
    }

    /// The velocity of the first `live` tokens, `[B, live, out_channels]`: every block runs on
    /// all tokens except the last, whose queries, cross-attention, feed-forward and output
    /// layer run on the first `live` only (the others still give it their keys and values).
    func velocity(_ input: Input, liveTokens live: Int) -> Tensor {
        let c = config, w = weights
        let dtype = input.latent.dtype
        let (b, t) = (input.latent.shape[0], input.latent.shape[1])
        require(input.latent.rank == 3 && input.latent.shape[2] == c.inChannels,
            "latent must be [B, T, \(c.inChannels)], got \(input.latent.shape)")
        var x = w.patchify(input.latent)
        let scaled = input.timesteps.reshaped([b * t]).to(dtype: .f32) * c.timestepScale
        // The AdaLN in run form: K modulation vectors per run of equal timesteps, [R, K, D]
        // (R is a handful; per token when the timesteps change every few tokens). No per-token
        // [B, T, K·D] table exists: the fused ops read each token's run (at 11264 tokens that
        // table is 830 MB of bf16).
        let ada = w.adaLN.inRuns(scaledTimesteps: scaled, dtype: dtype)
        let modulation = ada.modulation.reshaped([ada.runs.count, c.adaLNCoefficient, c.width])
        let promptModulation = w.promptAdaLN.map { adaLN in
            adaLN(scaledTimesteps: input.sigma.reshaped([b]).to(dtype: .f32) * c.timestepScale, batch: b, dtype: dtype).modulation
        }
        var context = input.context.to(dtype: dtype)
        if let (l1, l2) = w.captionProjection { context = l2(l1(context).geluTanh()) }
        let (cos, sin) = RoPEFrequencies.tables(positions: input.positions, config: c, dtype: dtype)
        let mask: AttentionMask? = input.groupWeights.map { .groups($0) }
            ?? input.attentionMask.map { Self.selfAttentionBias($0, dtype: dtype) }
        for (i, block) in w.blocks.enumerated() {
            x = forwardBlock(
                block, x: x, modulation: modulation, runs: ada.runs, promptModulation: promptModulation,
                context: context, rope: (cos, sin), mask: mask, queries: i == w.blocks.count - 1 && live < t ? live : nil)
        }
        // Output: LayerNorm (no affine) modulated by the final table plus the embedded timestep
        // (shift, scale), per run, on the live tokens.
        let runs = live < t ? ada.runs.prefix(live) : ada.runs
        let table = w.outputScaleShift.reshaped([1, 2, c.width])
            + ada.embedded.sliced(axis: 0, 0..<runs.count).reshaped([runs.count, 1, c.width])
        let y = x.normalizedModulated(.layer, eps: c.normEps, rows: table, runs: runs, scale: 1, shift: 0)
        return w.projOut(y)
    }

    /// The rows of a RoPE table for the first `n` tokens (`[B, T, D]` interleaved, `[B, H, T,
    /// d/2]` split).
    static func ropeRows(_ table: Tensor, _ n: Int, _ layout: RoPELayout) -> Tensor {
        table.sliced(axis: layout == .split ? 2 : 1, 0..<n)
    }

    /// ltx-core's `X0Model`: `latent - velocity · timesteps` per token (float32 arithmetic,
    /// the result in the latent's dtype).
    ///
    /// A token with timestep 0 (a clean appended token: a reference or a guide at full
    /// strength) gets `latent - v · 0 = latent` whatever its velocity, so the last block does
    /// not compute those tokens' own outputs when they end the sequence (`liveTokens`); they
    /// still serve as its keys and values. The result is ltx-core's wherever the velocity is
    /// finite (where it is not, ltx-core's `v · 0` is NaN).
    public func denoised(_ input: Input) -> Tensor {
        let (b, t) = (input.latent.shape[0], input.latent.shape[1])
        let live = Self.liveTokens(input)
        let v = velocity(input, liveTokens: live).to(dtype: .f32)
        let latent = input.latent.to(dtype: .f32), steps = input.timesteps.reshaped([b, t, 1]).to(dtype: .f32)
        guard live < t else { return (latent - v * steps).to(dtype: input.latent.dtype) }
        let head = latent.sliced(axis: 1, 0..<live) - v * steps.sliced(axis: 1, 0..<live)
        return Tensor.concatenated([head, latent.sliced(axis: 1, live..<t)], axis: 1).to(dtype: input.latent.dtype)
    }

    /// The tokens whose velocity `denoised` uses: all but a trailing run with timestep 0, for
    /// one batch item without a self-attention mask (a mask's rows would need the same cut);
    /// all tokens otherwise, or when every token has timestep 0.
    static func liveTokens(_ input: Input) -> Int {
        let t = input.latent.shape[1]
        guard input.latent.shape[0] == 1, input.attentionMask == nil, input.groupWeights == nil else { return t }
        let steps = input.timesteps.hostScalars()
        guard steps.count == t, let last = steps.lastIndex(where: { $0 != 0 }) else { return t }
        return last + 1
    }

    /// `[B, T, T]` weights in [0, 1] to the additive bias ltx-core adds to every head's
    /// logits: `log(max(m, tiny))` where m > 0, the dtype's lowest value where m ≤ 0.
    static func selfAttentionBias(_ mask: Tensor, dtype: DType) -> AttentionMask {
        let bias = mask.map { TokenGroupWeights.bias($0, dtype: dtype) }
        return .additive(bias.to(dtype: dtype).unsqueezed(1))
    }

    /// One block (reading map 3.5).
    /// `modulation` is the AdaLN in run form, `[R, K, D]` for the R `runs` of tokens. With
    /// `queries`, only the first `queries` tokens come out (their self-attention still reads
    /// every token's keys and values); `mask` must then be nil.
    func forwardBlock(
        _ blk: BlockWeights, x: Tensor, modulation: Tensor, runs: RowRuns, promptModulation: Tensor?,
        context: Tensor, rope: (Tensor, Tensor), mask: AttentionMask?, queries: Int? = nil
    ) -> Tensor {
        let c = config
        let (b, d) = (x.shape[0], c.width)
        // ada = table + modulation, [R, K, D]: the sums ltx-core takes over [B, T, K, D], here
        // once per run. Vector j of a token's run is ltx-core's ada[..., j, :] for that token
        // (0/1/2 shift/scale/gate of self-attention, 3/4/5 of the feed-forward, 6/7/8 of the
        // cross-attention query); the fused ops read them in place.
        let allRows = blk.scaleShiftTable.reshaped([1, c.adaLNCoefficient, d]) + modulation
        let allRuns = runs
        // The tokens that come out (all, or the first `queries`), their runs and vectors.
        let runs = queries.map { allRuns.prefix($0) } ?? allRuns
        let ada = queries == nil ? allRows : allRows.sliced(axis: 0, 0..<runs.count)
        func modulated(_ x: Tensor, shift: Int) -> Tensor {
            x.normalizedModulated(.rms, eps: c.normEps, rows: ada, runs: runs, scale: shift + 1, shift: shift)
        }
        func gated(_ x: Tensor, _ y: Tensor, gate: Int) -> Tensor { x.addingGated(y, rows: ada, runs: runs, gate: gate) }
        // 1. Self-attention with RoPE: keys and values from every token.
        let normed = x.normalizedModulated(.rms, eps: c.normEps, rows: allRows, runs: allRuns, scale: 1, shift: 0)
        var x = x, query = normed, queryRoPE = rope
        if let n = queries {
            x = x.sliced(axis: 1, 0..<n)
            query = normed.sliced(axis: 1, 0..<n)
            queryRoPE = (Self.ropeRows(rope.0, n, c.ropeLayout), Self.ropeRows(rope.1, n, c.ropeLayout))
        }
        x = gated(
            x, attention(blk.selfAttention, query, context: normed, rope: (queryRoPE, rope), mask: mask), gate: 2)
        // 2. Text cross-attention.
        if c.crossAttentionAdaLN, let table = blk.promptScaleShiftTable, let prompt = promptModulation {
            let kv = table.reshaped([1, 1, 2, d]) + prompt.reshaped([b, prompt.shape[1], 2, d])
            let shiftKV = kv.sliced(axis: 2, 0..<1).squeezed(2), scaleKV = kv.sliced(axis: 2, 1..<2).squeezed(2)
            let query = modulated(x, shift: 6)
            let ctx = context.modulated(scale: scaleKV, shift: shiftKV)
            x = gated(x, attention(blk.crossAttention, query, context: ctx, rope: nil, mask: nil), gate: 8)
        } else {
            let query = x.rmsNorm(eps: c.normEps)
            x = x + attention(blk.crossAttention, query, context: context, rope: nil, mask: nil)
        }
        // 3. Feed-forward.
        let ffIn = modulated(x, shift: 3)
        let ff = blk.feedForwardOut(blk.feedForwardIn(ffIn, then: .geluTanh))
        return gated(x, ff, gate: 5)
    }

    /// One attention module (reading map 3.6): projections, QK RMSNorm, RoPE (the queries' and
    /// the keys' tables), attention, the optional per-head gate, the output projection.
    func attention(
        _ a: AttentionWeights, _ x: Tensor, context: Tensor, rope: (query: (Tensor, Tensor), key: (Tensor, Tensor))?,
        mask: AttentionMask?
    ) -> Tensor {
        let c = config
        let q: Tensor, k: Tensor, v = a.toV(context)
        if let rope {
            q = a.toQ(x).rmsNormRoPE(weight: a.qNorm, eps: c.normEps, cos: rope.query.0, sin: rope.query.1, layout: c.ropeLayout)
            k = a.toK(context).rmsNormRoPE(weight: a.kNorm, eps: c.normEps, cos: rope.key.0, sin: rope.key.1, layout: c.ropeLayout)
        } else {
            q = a.toQ(x).rmsNorm(weight: a.qNorm, eps: c.normEps)
            k = a.toK(context).rmsNorm(weight: a.kNorm, eps: c.normEps)
        }
        var out = Tensor.attention(query: q, key: k, value: v, heads: c.heads, mask: mask)
        if let gate = a.gateLogits {
            let (b, t) = (out.shape[0], out.shape[1])
            let g = gate(x).sigmoid() * 2  // [B, T, H]
            out = (out.reshaped([b, t, c.heads, c.headDim]) * g.unsqueezed(3)).reshaped([b, t, c.width])
        }
        return a.toOut(out)
    }
}
