/// The order of the block offsets inside the channel axis after space-to-depth.
public enum SpaceToDepthOrder: String, Sendable, CaseIterable {
    /// Channel `((c*pt + it)*ph + ih)*pw + iw`: time, then height, then width offset (width
    /// fastest). einops `b c (d p1) (h p2) (w p3) -> b (c p1 p2 p3) d h w`, as ltx-core's
    /// `SpaceToDepthDownsample`, `DepthToSpaceUpsample` and `PixelShuffleND` use it (and
    /// torch's `pixel_shuffle` in 2D).
    case timeHeightWidth
    /// Channel `((c*pt + it)*pw + iw)*ph + ih`: the width offset before the height offset
    /// (height fastest). ltx-core's VAE `patchify`/`unpatchify`:
    /// `b c (f p) (h q) (w r) -> b (c p r q) f h w` (2D: `b c (h q) (w r) -> b (c r q) h w`).
    case timeWidthHeight
}

/// Resampling modes of `torch.nn.functional.interpolate` that Reelflow needs.
public enum InterpolationMode: String, Sendable, CaseIterable {
    /// torch `"nearest"`: source index `floor(dst * in/out)`.
    case nearest
    /// torch `"bilinear"` with `align_corners=False` and no antialias: source coordinate
    /// `(dst + 0.5) * in/out - 0.5`, clamped at 0, blending the two neighbours per axis.
    case bilinear
    /// torch `"area"` (adaptive average pooling): output cell i averages input
    /// `floor(i*in/out) ..< ceil((i+1)*in/out)`.
    case area
}

extension Tensor {
    /// Folds blocks of `factors` (`[ph, pw]` on `[B, C, H, W]`, or `[pt, ph, pw]` on
    /// `[B, C, F, H, W]`) into the channel axis: `[B, C, F, H, W]` ->
    /// `[B, C*pt*ph*pw, F/pt, H/ph, W/pw]`, channels ordered by `order`.
    public func spaceToDepth(_ factors: [Int], order: SpaceToDepthOrder = .timeHeightWidth) -> Tensor {
        let n = factors.count
        require((n == 2 || n == 3) && rank == n + 2, "spaceToDepth \(factors) on shape \(shape)")
        return backend.spaceToDepth(self, factors: factors, order: order)
    }

    /// The inverse of `spaceToDepth`: `[B, C*pt*ph*pw, F, H, W]` -> `[B, C, F*pt, H*ph, W*pw]`.
    public func depthToSpace(_ factors: [Int], order: SpaceToDepthOrder = .timeHeightWidth) -> Tensor {
        let n = factors.count
        require((n == 2 || n == 3) && rank == n + 2, "depthToSpace \(factors) on shape \(shape)")
        return backend.depthToSpace(self, factors: factors, order: order)
    }

    /// Resamples the last two axes of `[..., H, W]` to `size = [H', W']` (torch
    /// `F.interpolate(x, size=...)` on `[N, C, H, W]`).
    public func interpolated(size: [Int], mode: InterpolationMode) -> Tensor {
        require(rank >= 2 && size.count == 2, "interpolate expects [..., H, W] and a size [H', W']")
        require(size[0] >= 0 && size[1] >= 0, "interpolate size \(size) must not be negative")
        return backend.interpolate(self, size: size, mode: mode)
    }
}
