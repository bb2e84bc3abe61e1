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
        // The K per-token modulation chunks ([B, T, D] each), split once for all blocks. The
        // [B, T, K·D] tensor they are cut from is released in here, before the blocks run (at
        // 11264 tokens it is 830 MB of bf16 that would otherwise stay beside its chunks).
        let k = c.adaLNCoefficient
        let (modulationChunks, embedded) = { () -> ([Tensor], Tensor) in
            let (modulation, embedded) = w.adaLN.perToken(scaledTimesteps: scaled, batch: b, dtype: dtype)
            let chunks = modulation.reshaped([b, modulation.shape[1], k, c.width])
            return ((0..<k).map { chunks.sliced(axis: 2, $0..<($0 + 1)).squeezed(2) }, embedded)
        }()
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
                block, x: x, modulation: modulationChunks, promptModulation: promptModulation, context: context,
                rope: (cos, sin), mask: mask)
        }
        // Output: LayerNorm (no affine) modulated by the final table plus the embedded timestep.
        let table = w.outputScaleShift.reshaped([1, 1, 2, c.width]) + embedded.unsqueezed(2)
        let shift = table.sliced(axis: 2, 0..<1).squeezed(2), scale = table.sliced(axis: 2, 1..<2).squeezed(2)
        let y = x.layerNorm(eps: c.normEps).modulated(scale: scale, shift: shift)
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
    func forwardBlock(
        _ blk: BlockWeights, x: Tensor, modulation: [Tensor], promptModulation: Tensor?, context: Tensor,
        rope: (Tensor, Tensor), mask: AttentionMask?
    ) -> Tensor {
        let c = config
        let (b, d) = (x.shape[0], c.width)
        // ada[j] = table[j] + modulation chunk j, [B, T, D]: the same sums ltx-core takes over
        // [B, T, K, D] at once, each made where it is used (no [B, T, K, D] tensor, no slices
        // of it per block: that halves the block's AdaLN memory traffic).
        func value(_ j: Int) -> Tensor { blk.scaleShiftTable.sliced(axis: 0, j..<(j + 1)) + modulation[j] }
        var x = x
        // 1. Self-attention with RoPE.
        let normed = x.rmsNorm(eps: c.normEps).modulated(scale: value(1), shift: value(0))
        x = x.addingGated(attention(blk.selfAttention, normed, context: normed, rope: rope, mask: mask), gate: value(2))
        // 2. Text cross-attention.
        if c.crossAttentionAdaLN, let table = blk.promptScaleShiftTable, let prompt = promptModulation {
            let kv = table.reshaped([1, 1, 2, d]) + prompt.reshaped([b, prompt.shape[1], 2, d])
            let shiftKV = kv.sliced(axis: 2, 0..<1).squeezed(2), scaleKV = kv.sliced(axis: 2, 1..<2).squeezed(2)
            let query = x.rmsNorm(eps: c.normEps).modulated(scale: value(7), shift: value(6))
            let ctx = context.modulated(scale: scaleKV, shift: shiftKV)
            x = x.addingGated(attention(blk.crossAttention, query, context: ctx, rope: nil, mask: nil), gate: value(8))
        } else {
            let query = x.rmsNorm(eps: c.normEps)
            x = x + attention(blk.crossAttention, query, context: context, rope: nil, mask: nil)
        }
        // 3. Feed-forward.
        let ffIn = x.rmsNorm(eps: c.normEps).modulated(scale: value(4), shift: value(3))
        let ff = blk.feedForwardOut(blk.feedForwardIn(ffIn, then: .geluTanh))
        return x.addingGated(ff, gate: value(5))
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
