import Tensors

/// ltx-core's `LatentUpsampler` (3-D): `initial_conv → GroupNorm → SiLU → res blocks →
/// upsample → res blocks → final_conv`, all convolutions 3×3(×3) with zero padding in every
/// axis (not causal). `upsampleVideo` wraps it in ltx-core's `upsample_video`: un-normalise
/// with the VAE encoder's per-channel statistics, upsample, normalise again.
public struct LatentUpsampler: Sendable {
    struct Conv: Sendable {
        var weight: Tensor
        var bias: Tensor

        init(_ r: WeightReader, _ name: String, out: Int, in cin: Int, kernel: [Int]) throws(WeightFileError) {
            weight = try r.tensor("\(name).weight", [out, cin] + kernel)
            bias = try r.tensor("\(name).bias", [out])
            if weight.rank == 4 { weight = weight.reshaped([out, cin, 1] + kernel) }
        }

        func callAsFunction(_ x: Tensor) -> Tensor {
            let pad = weight.shape[2...].map { AxisPadding.symmetric($0 / 2) }
            return x.conv3d(weight: weight, bias: bias, padding: Array(pad))
        }
    }

    struct Norm: Sendable {
        var weight, bias: Tensor
        init(_ r: WeightReader, _ name: String, _ c: Int) throws(WeightFileError) {
            weight = try r.tensor("\(name).weight", [c])
            bias = try r.tensor("\(name).bias", [c])
        }
        func callAsFunction(_ x: Tensor) -> Tensor { x.groupNorm(groups: 32, weight: weight, bias: bias, eps: 1e-5) }
    }

    /// `conv1 → GN → SiLU → conv2 → GN`, then `SiLU(h + x)`.
    struct ResBlock: Sendable {
        var conv1, conv2: Conv
        var norm1, norm2: Norm

        init(_ r: WeightReader, _ name: String, _ c: Int) throws(WeightFileError) {
            conv1 = try Conv(r, "\(name).conv1", out: c, in: c, kernel: [3, 3, 3])
            norm1 = try Norm(r, "\(name).norm1", c)
            conv2 = try Conv(r, "\(name).conv2", out: c, in: c, kernel: [3, 3, 3])
            norm2 = try Norm(r, "\(name).norm2", c)
        }

        func callAsFunction(_ x: Tensor) -> Tensor {
            let h = norm2(conv2(norm1(conv1(x)).silu()))
            return (h + x).silu()
        }
    }

    public let config: UpsamplerConfig
    var initialConv: Conv
    var initialNorm: Norm
    var blocks: [ResBlock]
    var upsampler: Conv
    /// The rational resampler's `[1, 1, 1, 5, 5]` binomial blur.
    var blur: Tensor?
    var postBlocks: [ResBlock]
    var finalConv: Conv

    /// Loads an upsampler file (keys used as stored).
    public static func load(from file: SafetensorsFile, config c: UpsamplerConfig, dtype: DType = .f32, device: Device = .cpu)
        throws(WeightFileError) -> (LatentUpsampler, UnexpectedKeys)
    {
        let r = WeightReader(try LTXComponent.spatialUpsampler.keyMap.apply(to: file), dtype: dtype, device: device)
        let built = try build(r, config: c)
        return (built, r.unexpected())
    }

    /// Builds the module from `r` (a file's weights, or a shape recorder: `weightShapes`).
    static func build(_ r: WeightReader, config c: UpsamplerConfig) throws(WeightFileError) -> LatentUpsampler {
        let (dtype, device) = (r.dtype, r.device)
        let mid = c.midChannels
        let upsampler: Conv
        var blur: Tensor?
        switch c.mode {
        case .spatial: upsampler = try Conv(r, "upsampler.0", out: 4 * mid, in: mid, kernel: [3, 3])
        case .temporal: upsampler = try Conv(r, "upsampler.0", out: 2 * mid, in: mid, kernel: [3, 3, 3])
        case .spatioTemporal: upsampler = try Conv(r, "upsampler.0", out: 8 * mid, in: mid, kernel: [3, 3, 3])
        case .rational(let num, _):
            upsampler = try Conv(r, "upsampler.conv", out: num * num * mid, in: mid, kernel: [3, 3])
            blur = r.has("upsampler.blur_down.kernel")
                ? try r.tensor("upsampler.blur_down.kernel", [1, 1, 5, 5]).reshaped([1, 1, 1, 5, 5])
                : binomialBlur(dtype: dtype, device: device)
        }
        let up = LatentUpsampler(
            config: c,
            initialConv: try Conv(r, "initial_conv", out: mid, in: c.inChannels, kernel: [3, 3, 3]),
            initialNorm: try Norm(r, "initial_norm", mid),
            blocks: try (0..<c.blocksPerStage).map { k throws(WeightFileError) in try ResBlock(r, "res_blocks.\(k)", mid) },
            upsampler: upsampler, blur: blur,
            postBlocks: try (0..<c.blocksPerStage).map { k throws(WeightFileError) in try ResBlock(r, "post_upsample_res_blocks.\(k)", mid) },
            finalConv: try Conv(r, "final_conv", out: c.inChannels, in: mid, kernel: [3, 3, 3]))
        return up
    }

    /// The fixed 5×5 binomial blur (`[1 4 6 4 1]` outer product, normalised).
    static func binomialBlur(dtype: DType, device: Device) -> Tensor {
        let k: [Float] = [1, 4, 6, 4, 1]
        let values = k.flatMap { a in k.map { a * $0 / 256 } }
        return Tensor(shape: [1, 1, 1, 5, 5], scalars: values).to(dtype: dtype).to(device: device)
    }

    /// The raw upsampler on a latent `[B, C, F, H, W]` (no normalisation).
    public func callAsFunction(_ latent: Tensor) throws(VAEError) -> Tensor {
        guard latent.rank == 5, latent.shape[1] == config.inChannels else {
            throw VAEError("the upsampler takes latents [B, \(config.inChannels), F, H, W], found shape \(latent.shape)")
        }
        var x = initialNorm(initialConv(latent)).silu()
        for block in blocks { x = block(x) }
        x = upsampler(x)
        switch config.mode {
        case .spatial: x = x.depthToSpace([1, 2, 2])
        case .temporal:
            x = x.depthToSpace([2, 1, 1])
            x = x.sliced(axis: 2, 1..<x.shape[2])
        case .spatioTemporal:
            x = x.depthToSpace([2, 2, 2])
            x = x.sliced(axis: 2, 1..<x.shape[2])
        case .rational(let num, let den):
            x = x.depthToSpace([1, num, num])
            if den > 1, let blur {
                let (b, c, f, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
                x = x.reshaped([b * c, 1, f, h, w])
                    .conv3d(weight: blur, stride: [1, den, den], padding: [.none, .symmetric(2), .symmetric(2)])
                x = x.reshaped([b, c, f, x.shape[3], x.shape[4]])
            }
        }
        for block in postBlocks { x = block(x) }
        return finalConv(x)
    }

    /// ltx-core's `upsample_video`: `normalize(upsampler(unnormalize(latent)))` with the
    /// statistics of the VAE encoder the latents came from.
    public func upsampleVideo(_ latent: Tensor, statistics: PerChannelStatistics) throws(VAEError) -> Tensor {
        statistics.normalize(try self(statistics.unnormalize(latent)))
    }
}

extension LatentUpsampler {
    /// Every weight `load` reads for `config`, with its shape, in reading order (for making
    /// random-weight files of any size; the keys are the component's own, without the
    /// checkpoint prefix).
    public static func weightShapes(config: UpsamplerConfig) -> [(key: String, shape: [Int])] {
        let r = WeightReader(recordingShapes: ())
        _ = try! build(r, config: config)
        return r.recorded
    }
}
