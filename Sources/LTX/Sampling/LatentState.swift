import Tensors

/// The state of the video latent during sampling, as ltx-core's `LatentState` holds it:
/// patchified tokens `[B, T, C]` in the compute dtype, the per-token denoise mask `[B, T, 1]`
/// in float32 (1 = generate, 0 = keep), positions `[B, 3, T, 2]`, the clean latent the mask
/// blends back in, and optional self-attention weights between token groups (ltx-core's
/// `[B, T, T]` attention mask, kept in block form so memory stays linear in tokens).
public struct LatentState: Sendable {
    public var latent: Tensor
    public var denoiseMask: Tensor
    public var positions: Tensor
    public var cleanLatent: Tensor
    public var attentionWeights: TokenGroupWeights?

    public init(latent: Tensor, denoiseMask: Tensor, positions: Tensor, cleanLatent: Tensor, attentionWeights: TokenGroupWeights? = nil) {
        self.latent = latent
        self.denoiseMask = denoiseMask
        self.positions = positions
        self.cleanLatent = cleanLatent
        self.attentionWeights = attentionWeights
    }

    /// The state `VideoLatentTools.create_initial_state` makes for a `[B, C, F, H, W]` latent
    /// (zeros when nil): mask all ones, positions of the grid cast to `dtype` (the bf16
    /// positions of ltx-core's bf16 pipeline are the precision trap of reading map 3.3).
    public static func initial(
        channels: Int, frames: Int, height: Int, width: Int, fps: Float, dtype: DType, latent: Tensor? = nil,
        device: Device = .cpu
    ) -> LatentState {
        let grid = latent ?? Tensor(zeros: [1, channels, frames, height, width], dtype: dtype, device: device)
        let tokens = Patchify.tokens(grid.to(dtype: dtype))
        let t = tokens.shape[1]
        return LatentState(
            latent: tokens, denoiseMask: Tensor(repeating: 1, shape: [1, t, 1], device: device),
            positions: VideoPositions.grid(frames: frames, height: height, width: width, fps: fps).to(dtype: dtype)
                .to(device: device),
            cleanLatent: tokens)
    }

    /// Noised as ltx-core's `GaussianNoiser` does it with the given noise `eps` (the shape of
    /// `latent`): `x = eps · (m·s) + x · (1 - m·s)` in float32, rounded to the latent's dtype.
    /// Tokens with mask 0 are unchanged bit for bit.
    public func noised(with eps: Tensor, scale: Float = 1) -> LatentState {
        require(eps.shape == latent.shape, "noise \(eps.shape) for latent \(latent.shape)")
        let sm = denoiseMask * scale
        var state = self
        state.latent = (eps.to(dtype: .f32) * sm + latent.to(dtype: .f32) * (1 - sm)).to(dtype: latent.dtype)
        return state
    }

    /// Noised as ltx-core's `GaussianNoiser` does it, drawing the noise from `generator`
    /// (`torch.randn(latent.shape, dtype=latent.dtype, generator=g)` over every token, appended
    /// ones included, so successive draws advance the generator as torch does).
    public func noised(generator: inout TorchGenerator, scale: Float = 1) -> LatentState {
        let eps = generator.randn(shape: latent.shape, dtype: latent.dtype, device: latent.device)
        return noised(with: eps, scale: scale)
    }

    /// The first `count` tokens only (ltx-core's `clear_conditioning`: appended reference and
    /// keyframe tokens are dropped, the mask is reset to ones, the attention mask dropped).
    public func clearingConditioning(keeping count: Int) -> LatentState {
        LatentState(
            latent: latent.sliced(axis: 1, 0..<count),
            denoiseMask: Tensor(repeating: 1, shape: [latent.shape[0], count, 1], device: latent.device),
            positions: positions.sliced(axis: 2, 0..<count),
            cleanLatent: cleanLatent.sliced(axis: 1, 0..<count))
    }
}

/// Patch size 1 patchify and unpatchify (reading map 3.1): `[B, C, F, H, W]` to tokens
/// `[B, F·H·W, C]` in (f, h, w) order, and back.
public enum Patchify {
    public static func tokens(_ latent: Tensor) -> Tensor {
        require(latent.rank == 5, "a video latent is [B, C, F, H, W], got \(latent.shape)")
        let (b, c) = (latent.shape[0], latent.shape[1])
        return latent.reshaped([b, c, -1]).permuted([0, 2, 1])
    }

    public static func latent(_ tokens: Tensor, frames: Int, height: Int, width: Int) -> Tensor {
        require(tokens.rank == 3 && tokens.shape[1] == frames * height * width,
            "tokens \(tokens.shape) do not fit a \(frames)x\(height)x\(width) grid")
        let (b, c) = (tokens.shape[0], tokens.shape[2])
        return tokens.permuted([0, 2, 1]).reshaped([b, c, frames, height, width])
    }
}
