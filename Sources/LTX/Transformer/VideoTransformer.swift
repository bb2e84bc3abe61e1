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
        for block in w.blocks {
            x = forwardBlock(
                block, x: x, modulation: modulation, runs: ada.runs, promptModulation: promptModulation,
                context: context, rope: (cos, sin), mask: mask)
        }
        // Output: LayerNorm (no affine) modulated by the final table plus the embedded timestep
        // (shift, scale), per run.
        let table = w.outputScaleShift.reshaped([1, 2, c.width]) + ada.embedded.reshaped([ada.runs.count, 1, c.width])
        let y = x.normalizedModulated(.layer, eps: c.normEps, rows: table, runs: ada.runs, scale: 1, shift: 0)
        return w.projOut(y)
    }

    /// ltx-core's `X0Model`: `latent - velocity · timesteps` per token (float32 arithmetic,
    /// the result in the latent's dtype).
    public func denoised(_ input: Input) -> Tensor {
        let v = velocity(input)
        let (b, t) = (input.latent.shape[0], input.latent.shape[1])
        let x0 = input.latent.to(dtype: .f32) - v.to(dtype: .f32) * input.timesteps.reshaped([b, t, 1]).to(dtype: .f32)
        return x0.to(dtype: input.latent.dtype)
    }

    /// `[B, T, T]` weights in [0, 1] to the additive bias ltx-core adds to every head's
    /// logits: `log(max(m, tiny))` where m > 0, the dtype's lowest value where m ≤ 0.
    static func selfAttentionBias(_ mask: Tensor, dtype: DType) -> AttentionMask {
        let bias = mask.map { TokenGroupWeights.bias($0, dtype: dtype) }
        return .additive(bias.to(dtype: dtype).unsqueezed(1))
    }

    /// One block (reading map 3.5).
    /// `modulation` is the AdaLN in run form, `[R, K, D]` for the R `runs` of tokens.
    func forwardBlock(
        _ blk: BlockWeights, x: Tensor, modulation: Tensor, runs: RowRuns, promptModulation: Tensor?,
        context: Tensor, rope: (Tensor, Tensor), mask: AttentionMask?
    ) -> Tensor {
        let c = config
        let (b, d) = (x.shape[0], c.width)
        // ada = table + modulation, [R, K, D]: the sums ltx-core takes over [B, T, K, D], here
        // once per run. Vector j of a token's run is ltx-core's ada[..., j, :] for that token
        // (0/1/2 shift/scale/gate of self-attention, 3/4/5 of the feed-forward, 6/7/8 of the
        // cross-attention query); the fused ops read them in place.
        let ada = blk.scaleShiftTable.reshaped([1, c.adaLNCoefficient, d]) + modulation
        func modulated(_ x: Tensor, shift: Int) -> Tensor {
            x.normalizedModulated(.rms, eps: c.normEps, rows: ada, runs: runs, scale: shift + 1, shift: shift)
        }
        func gated(_ x: Tensor, _ y: Tensor, gate: Int) -> Tensor { x.addingGated(y, rows: ada, runs: runs, gate: gate) }
        var x = x
        // 1. Self-attention with RoPE.
        let normed = modulated(x, shift: 0)
        x = gated(x, attention(blk.selfAttention, normed, context: normed, rope: rope, mask: mask), gate: 2)
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

    /// One attention module (reading map 3.6): projections, QK RMSNorm, RoPE, attention,
    /// the optional per-head gate, the output projection.
    func attention(_ a: AttentionWeights, _ x: Tensor, context: Tensor, rope: (Tensor, Tensor)?, mask: AttentionMask?) -> Tensor {
        let c = config
        var q = a.toQ(x).rmsNorm(weight: a.qNorm, eps: c.normEps)
        var k = a.toK(context).rmsNorm(weight: a.kNorm, eps: c.normEps)
        let v = a.toV(context)
        if let (cos, sin) = rope {
            q = q.applyingRoPE(cos: cos, sin: sin, layout: c.ropeLayout)
            k = k.applyingRoPE(cos: cos, sin: sin, layout: c.ropeLayout)
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
