import Tensors

/// ltx-core's `ResnetBlock3D` with PixelNorm: `PixelNorm → [AdaLN] → SiLU → conv1 → [noise] →
/// PixelNorm → [AdaLN] → SiLU → conv2 → [noise]`, added to the input (through GroupNorm(1) and
/// a 1×1×1 convolution when the width changes).
struct VAEResnetBlock: Sendable {
    var conv1, conv2: CausalConv3d
    /// `[4, C]`: shift1, scale1, shift2, scale2 added to the timestep embedding.
    var scaleShiftTable: Tensor?
    /// `[C, 1, 1]` scales of the spatial noise after each convolution (`inject_noise`).
    var noiseScales: (Tensor, Tensor)?
    /// `norm3` (GroupNorm with one group) and `conv_shortcut` when in ≠ out.
    var shortcut: (normWeight: Tensor, normBias: Tensor, weight: Tensor, bias: Tensor)?

    init(
        _ r: WeightReader, _ name: String, in cin: Int, out: Int, padding: PaddingMode, timestepConditioning: Bool,
        injectNoise: Bool
    ) throws(WeightFileError) {
        conv1 = try CausalConv3d(r, "\(name).conv1", in: cin, out: out, padding: padding)
        conv2 = try CausalConv3d(r, "\(name).conv2", in: out, out: out, padding: padding)
        scaleShiftTable = timestepConditioning ? try r.tensor("\(name).scale_shift_table", [4, cin]) : nil
        noiseScales = injectNoise
            ? (try r.tensor("\(name).per_channel_scale1", [cin, 1, 1]), try r.tensor("\(name).per_channel_scale2", [cin, 1, 1]))
            : nil
        shortcut = cin == out ? nil : (
            try r.tensor("\(name).norm3.weight", [cin]), try r.tensor("\(name).norm3.bias", [cin]),
            try r.tensor("\(name).conv_shortcut.weight", [out, cin, 1, 1, 1]), try r.tensor("\(name).conv_shortcut.bias", [out]))
    }

    /// - Parameters:
    ///   - embedding: the mid block's timestep embedding `[B, 4C]` (timestep-conditioned only).
    ///   - noise: the draws for `inject_noise`.
    func callAsFunction(_ x: Tensor, causal: Bool, embedding: Tensor?, noise: inout VAENoise) throws(VAEError) -> Tensor {
        var ada: [Tensor] = []
        if let table = scaleShiftTable {
            guard let embedding else { fatalError("a timestep-conditioned block needs the embedding") }
            let (b, c) = (x.shape[0], x.shape[1])
            let values = table.reshaped([1, 4, c]) + embedding.reshaped([b, 4, c])
            ada = (0..<4).map { values.sliced(axis: 1, $0..<($0 + 1)).reshaped([b, c, 1, 1, 1]) }
        }
        var h = x.pixelNorm()
        if !ada.isEmpty { h = h.modulated(scale: ada[1], shift: ada[0]) }
        h = conv1(h.silu(), causal: causal)
        if let (s1, _) = noiseScales { h = try addSpatialNoise(h, scale: s1, noise: &noise) }
        h = h.pixelNorm()
        if !ada.isEmpty { h = h.modulated(scale: ada[3], shift: ada[2]) }
        h = conv2(h.silu(), causal: causal)
        if let (_, s2) = noiseScales { h = try addSpatialNoise(h, scale: s2, noise: &noise) }
        var input = x
        if let s = shortcut {
            input = input.groupNorm(groups: 1, weight: s.normWeight, bias: s.normBias, eps: 1e-6)
                .conv3d(weight: s.weight, bias: s.bias)
        }
        return input + h
    }

    /// StyleGAN's explicit noise input: one `[H, W]` draw shared by every frame, scaled per channel.
    private func addSpatialNoise(_ h: Tensor, scale: Tensor, noise: inout VAENoise) throws(VAEError) -> Tensor {
        let (c, height, width) = (h.shape[1], h.shape[3], h.shape[4])
        let spatial = try noise.draw([height, width], dtype: h.dtype, device: h.device, purpose: "inject_noise")
        let scaled = (spatial.reshaped([1, height, width]) * scale).reshaped([1, c, 1, height, width])
        return h + scaled
    }
}

/// ltx-core's `UNetMidBlock3D` (`res_x`): residual blocks at one width, with its own timestep
/// embedder (`[B] → [B, 4C]`) when the decoder is timestep-conditioned.
struct VAEMidBlock: Sendable {
    var timeEmbedder: (LinearWeights, LinearWeights)?
    var blocks: [VAEResnetBlock]

    init(
        _ r: WeightReader, _ name: String, channels c: Int, layers: Int, padding: PaddingMode, timestepConditioning: Bool,
        injectNoise: Bool
    ) throws(WeightFileError) {
        timeEmbedder = timestepConditioning
            ? (try linear(r, "\(name).time_embedder.timestep_embedder.linear_1", out: 4 * c, in: 256),
               try linear(r, "\(name).time_embedder.timestep_embedder.linear_2", out: 4 * c, in: 4 * c))
            : nil
        blocks = []
        for j in 0..<layers {
            blocks.append(try VAEResnetBlock(
                r, "\(name).res_blocks.\(j)", in: c, out: c, padding: padding, timestepConditioning: timestepConditioning,
                injectNoise: injectNoise))
        }
    }

    /// - Parameter scaledTimestep: per-sample timesteps already times the decoder's multiplier.
    func callAsFunction(_ x: Tensor, causal: Bool, scaledTimestep: [Float]?, noise: inout VAENoise) throws(VAEError) -> Tensor {
        var embedding: Tensor?
        if let (l1, l2) = timeEmbedder, let t = scaledTimestep {
            embedding = timestepEmbedding(t, l1, l2, dtype: x.dtype, device: x.device)
        }
        var h = x
        for block in blocks { h = try block(h, causal: causal, embedding: embedding, noise: &noise) }
        return h
    }
}

/// A linear layer `name.{weight,bias}`.
func linear(_ r: WeightReader, _ name: String, out: Int, in cin: Int) throws(WeightFileError) -> LinearWeights {
    LinearWeights(weight: try r.tensor("\(name).weight", [out, cin]), bias: try r.tensor("\(name).bias", [out]))
}

/// `PixArtAlphaCombinedTimestepSizeEmbeddings` without size embedding: sinusoidal features of
/// the timesteps (float32), cast to `dtype`, then `linear_2(SiLU(linear_1(.)))`.
func timestepEmbedding(_ t: [Float], _ l1: LinearWeights, _ l2: LinearWeights, dtype: DType, device: Device) -> Tensor {
    let features = TimestepFeatures.features(Tensor(shape: [t.count], scalars: t).to(device: device)).to(dtype: dtype)
    return l2(l1(features).silu())
}
