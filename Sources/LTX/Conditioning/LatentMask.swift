import Tensors

/// A pixel-space mask video brought to latent tokens as ltx-pipelines'
/// `ICLoraPipeline._downsample_mask_to_latent` does (reading map 6.3): each frame
/// area-averaged to the latent grid, frame 0 kept on its own (the causal VAE encodes it
/// alone), the remaining frames averaged in groups of `(F_pixel - 1) / (F_latent - 1)`, then
/// flattened in (f, h, w) token order.
public enum LatentMask {
    /// - Parameters:
    ///   - pixelMask: `[B, 1, F_pixel, H_pixel, W_pixel]`, values in [0, 1].
    /// - Returns: `[B, F·H·W]` float32.
    public static func downsample(_ pixelMask: Tensor, frames: Int, height: Int, width: Int) throws(ConditioningError) -> Tensor {
        let s = pixelMask.shape
        guard s.count == 5, s[1] == 1 else {
            throw ConditioningError("a mask video must be [B, 1, F, H, W], got \(s)")
        }
        let (b, fp) = (s[0], s[2])
        let spatial = pixelMask.to(dtype: .f32).reshaped([b * fp, 1, s[3], s[4]])
            .interpolated(size: [height, width], mode: .area)
            .reshaped([b, fp, height * width])
        let first = spatial.sliced(axis: 1, 0..<1)
        guard fp > 1 && frames > 1 else { return first.reshaped([b, height * width]) }
        guard (fp - 1) % (frames - 1) == 0 else {
            throw ConditioningError(
                "a mask video of \(fp) frames does not fit \(frames) latent frames: (frames - 1) must be a multiple of \(frames - 1), e.g. \(8 * (frames - 1) + 1)")
        }
        let t = (fp - 1) / (frames - 1)
        let rest = spatial.sliced(axis: 1, 1..<fp).reshaped([b, frames - 1, t, height * width]).mean(alongAxis: 2)
        return Tensor.concatenated([first, rest], axis: 1).reshaped([b, frames * height * width])
    }
}

/// Keeps part of a source latent while the rest is regenerated (LoRA-Edit's "masks that keep
/// a region"). ltx-core 1.0.0 has no such item, so Reelflow defines it on ltx-core's own
/// rules: per token a keep weight `k` in [0, 1] (from a mask video through `LatentMask`, or
/// given per token); the source tokens become the clean latent (and the latent where
/// `k > 0`), and the denoise mask becomes `1 - strength · k`. With strength 1, fully kept
/// tokens have mask 0 and never change in the sampler, as tokens of a latent-index item;
/// partly kept tokens are blended by the sampler's `x0 · m + clean · (1 - m)`.
public struct ConditionByMask: Sendable {
    /// The source latent `[B, C, F, H, W]` on the state's grid.
    public var source: Tensor
    /// Keep weights `[B, F·H·W]` in [0, 1] (1 = keep).
    public var keep: Tensor
    public var strength: Double

    public init(source: Tensor, keep: Tensor, strength: Double = 1) {
        self.source = source
        self.keep = keep
        self.strength = strength
    }

    public func apply(to state: LatentState, noisyTokens: Int) throws(ConditioningError) -> LatentState {
        let tokens = Patchify.tokens(source.to(dtype: state.latent.dtype).to(device: state.latent.device))
        let b = state.latent.shape[0]
        guard tokens.shape[0] == b, tokens.shape[1] == noisyTokens, tokens.shape[2] == state.latent.shape[2] else {
            throw ConditioningError("a mask item's source \(source.shape) does not fit the \(noisyTokens) generated tokens of \(state.latent.shape)")
        }
        guard keep.shape == [b, noisyTokens] else {
            throw ConditioningError("keep weights \(keep.shape) must be [\(b), \(noisyTokens)]")
        }
        let k = keep.to(dtype: .f32).to(device: state.latent.device)
        let values = k.hostScalars()
        guard values.allSatisfy({ (0...1).contains($0) }) else { throw ConditioningError("keep weights must lie in [0, 1]") }
        let m = (1 - k * Float(strength)).reshaped([b, noisyTokens, 1])
        let kept = k.map { $0 > 0 ? 1 : 0 }.reshaped([b, noisyTokens, 1]).to(dtype: state.latent.dtype)
        var out = state
        func head(_ t: Tensor) -> Tensor { t.sliced(axis: 1, 0..<noisyTokens) }
        func tail(_ t: Tensor) -> Tensor { t.sliced(axis: 1, noisyTokens..<t.shape[1]) }
        let replaced = head(state.latent) * (1 - kept) + tokens * kept
        out.latent = Tensor.concatenated([replaced, tail(state.latent)], axis: 1)
        out.cleanLatent = Tensor.concatenated([tokens, tail(state.cleanLatent)], axis: 1)
        out.denoiseMask = Tensor.concatenated([head(state.denoiseMask) * m, tail(state.denoiseMask)], axis: 1)
        return out
    }
}
