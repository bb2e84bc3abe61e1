import Tensors

/// A linear layer's weight `[out, in]` and bias `[out]`, with the unfused LoRA updates
/// applied beside it.
public struct LinearWeights: Sendable {
    public var weight: Tensor
    public var bias: Tensor?
    /// Unfused LoRA updates: `y += scale · (x · downᵀ) · upᵀ` each.
    public var updates: [LowRankUpdate] = []

    public init(weight: Tensor, bias: Tensor?, updates: [LowRankUpdate] = []) {
        self.weight = weight
        self.bias = bias
        self.updates = updates
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var y = x.linear(weight: weight, bias: bias)
        for u in updates {
            y = y.addingGated(x.linear(weight: u.down).linear(weight: u.up), gate: u.scaleTensor)
        }
        return y
    }

    /// `activation(self(x))`; without unfused LoRA updates the activation runs in the
    /// product's epilogue where the backend has one.
    func callAsFunction(_ x: Tensor, then activation: UnaryOp) -> Tensor {
        guard updates.isEmpty else { return self(x).applying(activation) }
        return x.linear(weight: weight, bias: bias, activation: activation)
    }
}

/// One LoRA's update of one linear layer, held on the device for unfused mode.
public struct LowRankUpdate: Sendable {
    /// `A`, `[rank, in]`.
    public var down: Tensor
    /// `B`, `[out, rank]`.
    public var up: Tensor
    /// strength (ltx-core applies no alpha/rank scaling).
    public var scale: Float

    var scaleTensor: Tensor { Tensor(scale).to(device: down.device) }
}

/// One attention module (`attn1` self-attention or `attn2` text cross-attention).
public struct AttentionWeights: Sendable {
    public var toQ, toK, toV, toOut: LinearWeights
    public var qNorm, kNorm: Tensor
    /// LTX-2.3's per-head gate (`to_gate_logits`), nil without gated attention.
    public var gateLogits: LinearWeights?
}

/// One transformer block's weights.
public struct BlockWeights: Sendable {
    public var selfAttention: AttentionWeights
    public var crossAttention: AttentionWeights
    public var feedForwardIn: LinearWeights
    public var feedForwardOut: LinearWeights
    /// `[K, D]` AdaLN table (K = 6, or 9 with cross-attention AdaLN).
    public var scaleShiftTable: Tensor
    /// LTX-2.3 `[2, D]` prompt AdaLN table.
    public var promptScaleShiftTable: Tensor?
}

/// `AdaLayerNormSingle`: the sinusoidal embedding's two linears and the output linear.
public struct AdaLNWeights: Sendable {
    public var embedder1, embedder2, linear: LinearWeights
}

/// All weights of the video transformer, loaded from a ComfyUI-style checkpoint (keys under
/// `model.diffusion_model.`), checked key by key and shape by shape against the config, in a
/// chosen dtype on a chosen device. Audio and text-connector keys in the same file are
/// ignored, as ltx-core's video-only model ignores them.
public struct TransformerWeights: Sendable {
    public var patchify: LinearWeights
    public var adaLN: AdaLNWeights
    public var promptAdaLN: AdaLNWeights?
    public var captionProjection: (LinearWeights, LinearWeights)?
    public var blocks: [BlockWeights]
    /// `[2, D]` output modulation table.
    public var outputScaleShift: Tensor
    public var projOut: LinearWeights

    /// Keys under the transformer prefix that the video path does not use.
    static let ignoredPrefixes = [
        "audio_", "av_ca_", "video_embeddings_connector.", "audio_embeddings_connector.",
    ]

    /// The key names and shapes the config implies.
    public static func expectedShapes(_ c: TransformerConfig) -> [String: [Int]] {
        let d = c.width
        var shapes: [String: [Int]] = [:]
        func linear(_ name: String, _ out: Int, _ inp: Int) {
            shapes["\(name).weight"] = [out, inp]
            shapes["\(name).bias"] = [out]
        }
        func adaLN(_ name: String, _ k: Int) {
            linear("\(name).emb.timestep_embedder.linear_1", d, 256)
            linear("\(name).emb.timestep_embedder.linear_2", d, d)
            linear("\(name).linear", k * d, d)
        }
        linear("patchify_proj", d, c.inChannels)
        adaLN("adaln_single", c.adaLNCoefficient)
        if c.crossAttentionAdaLN { adaLN("prompt_adaln_single", 2) }
        if let caption = c.captionChannels {
            linear("caption_projection.linear_1", d, caption)
            linear("caption_projection.linear_2", d, d)
        }
        shapes["scale_shift_table"] = [2, d]
        linear("proj_out", c.outChannels, d)
        for i in 0..<c.layers {
            let b = "transformer_blocks.\(i)"
            for a in ["attn1", "attn2"] {
                for p in ["to_q", "to_k", "to_v", "to_out.0"] { linear("\(b).\(a).\(p)", d, d) }
                shapes["\(b).\(a).q_norm.weight"] = [d]
                shapes["\(b).\(a).k_norm.weight"] = [d]
                if c.gatedAttention { linear("\(b).\(a).to_gate_logits", c.heads, d) }
            }
            linear("\(b).ff.net.0.proj", 4 * d, d)
            linear("\(b).ff.net.2", d, 4 * d)
            shapes["\(b).scale_shift_table"] = [c.adaLNCoefficient, d]
            if c.crossAttentionAdaLN { shapes["\(b).prompt_scale_shift_table"] = [2, d] }
        }
        return shapes
    }

    /// Loads and checks the weights.
    /// - Parameters:
    ///   - file: the checkpoint.
    ///   - config: the config read from it.
    ///   - dtype: the dtype the weights are held in (a bf16 file read as bf16 is a zero-copy
    ///     view on the CPU).
    ///   - device: where they live.
    /// - Returns: the weights and the keys the file has that the model does not use.
    ///   - fusing: LoRAs to fuse into the base weights as ltx-core's `apply_loras` does
    ///     (bf16 or fp8 base weights only, as there); nil for none.
    public static func load(
        from file: SafetensorsFile, config c: TransformerConfig, dtype: DType = .f32, device: Device = .cpu,
        fusing: LoRAStack? = nil
    ) throws(WeightFileError) -> (TransformerWeights, UnexpectedKeys) {
        let mapped = try LTXComponent.transformer.keyMap.apply(to: file)
        let shapes = expectedShapes(c)
        let unexpected = try mapped.check(expected: shapes, ignoring: ignoredPrefixes)
        let bound = try fusing?.bind(to: shapes.keys, baseShapes: shapes)
        func t(_ key: String) throws(WeightFileError) -> Tensor {
            let stored = try mapped.tensor(key)
            if let bound, bound.contributions[key] != nil {
                return try bound.fusedWeight(for: key, base: stored).to(dtype: dtype).to(device: device)
            }
            return stored.tensor(dtype: dtype, device: device)
        }
        func linear(_ name: String) throws(WeightFileError) -> LinearWeights {
            LinearWeights(weight: try t("\(name).weight"), bias: try t("\(name).bias"))
        }
        func adaLN(_ name: String) throws(WeightFileError) -> AdaLNWeights {
            AdaLNWeights(
                embedder1: try linear("\(name).emb.timestep_embedder.linear_1"),
                embedder2: try linear("\(name).emb.timestep_embedder.linear_2"),
                linear: try linear("\(name).linear"))
        }
        func attention(_ name: String) throws(WeightFileError) -> AttentionWeights {
            AttentionWeights(
                toQ: try linear("\(name).to_q"), toK: try linear("\(name).to_k"), toV: try linear("\(name).to_v"),
                toOut: try linear("\(name).to_out.0"), qNorm: try t("\(name).q_norm.weight"),
                kNorm: try t("\(name).k_norm.weight"),
                gateLogits: c.gatedAttention ? try linear("\(name).to_gate_logits") : nil)
        }
        var blocks: [BlockWeights] = []
        for i in 0..<c.layers {
            let b = "transformer_blocks.\(i)"
            blocks.append(BlockWeights(
                selfAttention: try attention("\(b).attn1"), crossAttention: try attention("\(b).attn2"),
                feedForwardIn: try linear("\(b).ff.net.0.proj"), feedForwardOut: try linear("\(b).ff.net.2"),
                scaleShiftTable: try t("\(b).scale_shift_table"),
                promptScaleShiftTable: c.crossAttentionAdaLN ? try t("\(b).prompt_scale_shift_table") : nil))
        }
        let weights = TransformerWeights(
            patchify: try linear("patchify_proj"), adaLN: try adaLN("adaln_single"),
            promptAdaLN: c.crossAttentionAdaLN ? try adaLN("prompt_adaln_single") : nil,
            captionProjection: c.captionChannels != nil
                ? (try linear("caption_projection.linear_1"), try linear("caption_projection.linear_2")) : nil,
            blocks: blocks, outputScaleShift: try t("scale_shift_table"), projOut: try linear("proj_out"))
        return (weights, unexpected)
    }
}

extension TransformerWeights {
    /// Calls `body` with every linear layer and its weight key (`….weight`).
    mutating func forEachLinear(_ body: (String, inout LinearWeights) throws(WeightFileError) -> Void) throws(WeightFileError) {
        try body("patchify_proj.weight", &patchify)
        try body("proj_out.weight", &projOut)
        func adaLNLinears(_ name: String, _ a: inout AdaLNWeights) throws(WeightFileError) {
            try body("\(name).emb.timestep_embedder.linear_1.weight", &a.embedder1)
            try body("\(name).emb.timestep_embedder.linear_2.weight", &a.embedder2)
            try body("\(name).linear.weight", &a.linear)
        }
        try adaLNLinears("adaln_single", &adaLN)
        if var prompt = promptAdaLN {
            try adaLNLinears("prompt_adaln_single", &prompt)
            promptAdaLN = prompt
        }
        if var (l1, l2) = captionProjection {
            try body("caption_projection.linear_1.weight", &l1)
            try body("caption_projection.linear_2.weight", &l2)
            captionProjection = (l1, l2)
        }
        for i in blocks.indices {
            let b = "transformer_blocks.\(i)"
            for (name, keyPath) in [("attn1", \BlockWeights.selfAttention), ("attn2", \BlockWeights.crossAttention)] {
                var a = blocks[i][keyPath: keyPath]
                try body("\(b).\(name).to_q.weight", &a.toQ)
                try body("\(b).\(name).to_k.weight", &a.toK)
                try body("\(b).\(name).to_v.weight", &a.toV)
                try body("\(b).\(name).to_out.0.weight", &a.toOut)
                if var g = a.gateLogits {
                    try body("\(b).\(name).to_gate_logits.weight", &g)
                    a.gateLogits = g
                }
                blocks[i][keyPath: keyPath] = a
            }
            try body("\(b).ff.net.0.proj.weight", &blocks[i].feedForwardIn)
            try body("\(b).ff.net.2.weight", &blocks[i].feedForwardOut)
        }
    }

    /// The same base weights (shared, not copied) with `stack` applied unfused: every linear
    /// layer a LoRA targets gets its low-rank updates, every other loses any it had. Switching
    /// LoRAs between stages costs loading the small A and B factors only, never a fuse of the
    /// base weights.
    /// - Throws: the binding errors of `LoRAStack.bind` (modules matching no weight, wrong shapes).
    /// The factors go to `device`, the base weights' device when nil (an op with a factor on
    /// another device than its input would stop the process).
    public func withUnfusedLoRAs(_ stack: LoRAStack?, config c: TransformerConfig, dtype: DType, device: Device? = nil)
        throws(WeightFileError) -> TransformerWeights
    {
        let device = device ?? blocks.first?.selfAttention.toQ.weight.device ?? .cpu
        let shapes = Self.expectedShapes(c)
        let bound = try stack?.bind(to: shapes.keys, baseShapes: shapes)
        var out = self
        try out.forEachLinear { (key: String, linear: inout LinearWeights) throws(WeightFileError) in
            linear.updates = []
            guard let bound, bound.targetKeys.contains(key), let contributions = bound.contributions[key] else { return }
            for c in contributions {
                linear.updates.append(LowRankUpdate(
                    down: c.pair.down.tensor(dtype: dtype, device: device), up: c.pair.up.tensor(dtype: dtype, device: device),
                    scale: c.scale))
            }
        }
        return out
    }
}
