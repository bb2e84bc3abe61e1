import Tensors

/// The LTX video VAE encoder: pixels `[B, 3, F, H, W]` in [-1, 1] to normalised latent means
/// `[B, C, 1 + (F-1)/8, H/32, W/32]` (reading map 4.3). Weights come from a ComfyUI-style
/// checkpoint (`vae.encoder.*` and `vae.per_channel_statistics.*`).
public struct VideoEncoder: Sendable {
    enum Block: Sendable {
        case residual(VAEMidBlock)
        case widen(VAEResnetBlock)
        case strided(CausalConv3d)
        case spaceToDepth(SpaceToDepthDownsample)
    }

    public let config: VAEConfig
    var convIn: CausalConv3d
    var blocks: [Block]
    var convOut: CausalConv3d
    var statistics: PerChannelStatistics

    /// Loads the encoder's weights, checked key by key and shape by shape against `config`.
    /// - Returns: the encoder and the keys of the encoder's map that it did not use.
    public static func load(from file: SafetensorsFile, config c: VAEConfig, dtype: DType = .f32, device: Device = .cpu)
        throws(WeightFileError) -> (VideoEncoder, UnexpectedKeys)
    {
        let r = WeightReader(try LTXComponent.videoEncoder.keyMap.apply(to: file), dtype: dtype, device: device)
        let built = try build(r, config: c)
        return (built, r.unexpected())
    }

    /// Builds the module from `r` (a file's weights, or a shape recorder: `weightShapes`).
    static func build(_ r: WeightReader, config c: VAEConfig) throws(WeightFileError) -> VideoEncoder {
        let pad = c.encoderPadding
        var width = c.latentChannels
        let convIn = try CausalConv3d(r, "conv_in", in: c.inChannels * c.patchSize * c.patchSize, out: width, padding: pad)
        var blocks: [Block] = []
        for (i, block) in c.encoderBlocks.enumerated() {
            let name = "down_blocks.\(i)"
            switch block {
            case .residual(let layers):
                blocks.append(.residual(try VAEMidBlock(
                    r, name, channels: width, layers: layers, padding: pad, timestepConditioning: false, injectNoise: false)))
            case .residualWiden(let m):
                blocks.append(.widen(try VAEResnetBlock(
                    r, name, in: width, out: width * m, padding: pad, timestepConditioning: false, injectNoise: false)))
                width *= m
            case .stridedConv(let stride, let m):
                blocks.append(.strided(try CausalConv3d(r, name, in: width, out: width * m, stride: stride, padding: pad)))
                width *= m
            case .spaceToDepth(let stride, let m):
                blocks.append(.spaceToDepth(try SpaceToDepthDownsample(
                    r, name, in: width, out: width * m, stride: stride, padding: pad)))
                width *= m
            }
        }
        let outChannels: Int
        switch c.logVariance {
        case .perChannel: outChannels = 2 * c.latentChannels
        case .uniform, .constant: outChannels = c.latentChannels + 1
        }
        let convOut = try CausalConv3d(r, "conv_out", in: width, out: outChannels, padding: pad)
        let encoder = VideoEncoder(
            config: c, convIn: convIn, blocks: blocks, convOut: convOut,
            statistics: try PerChannelStatistics(r, channels: c.latentChannels))
        return encoder
    }

    /// The latent shape `[B, C, F', H', W']` of a video shape `[B, 3, F, H, W]`, or an error that
    /// names the sizes that work. Frames beyond the last 8k+1 are dropped, as ltx-core does.
    public func latentShape(ofVideo shape: [Int]) throws(VAEError) -> [Int] {
        let s = VAEConfig.scaleFactors
        guard shape.count == 5 else { throw VAEError("the VAE encodes [B, \(config.inChannels), F, H, W] videos, found shape \(shape)") }
        guard shape[1] == config.inChannels else {
            throw VAEError("the VAE encodes \(config.inChannels)-channel videos, found \(shape[1]) channels (shape \(shape))")
        }
        guard shape[2] >= 1 else { throw VAEError("a video needs at least one frame, found shape \(shape)") }
        for (axis, name) in [(3, "height"), (4, "width")] where shape[axis] % s.height != 0 || shape[axis] == 0 {
            let lower = shape[axis] / s.height * s.height
            throw VAEError(
                "video \(name) \(shape[axis]) is not a positive multiple of \(s.height); the nearest that work are "
                    + (lower > 0 ? "\(lower) and " : "") + "\(lower + s.height)")
        }
        return [shape[0], config.latentChannels, (shape[2] - 1) / s.time + 1, shape[3] / s.height, shape[4] / s.width]
    }

    /// Encodes a video (a single image is one frame). Frame counts that are not 8k+1 lose
    /// their last frames, as in ltx-core.
    public func encode(_ video: Tensor) throws(VAEError) -> Tensor {
        let latent = try latentShape(ofVideo: video.shape)
        let frames = (latent[2] - 1) * VAEConfig.scaleFactors.time + 1
        var x = video.shape[2] == frames ? video : video.sliced(axis: 2, 0..<frames)
        x = x.spaceToDepth([1, config.patchSize, config.patchSize], order: .timeWidthHeight)
        x = convIn(x, causal: true)
        var noise = VAENoise.none
        for block in blocks {
            switch block {
            case .residual(let b): x = try b(x, causal: true, scaledTimestep: nil, noise: &noise)
            case .widen(let b): x = try b(x, causal: true, embedding: nil, noise: &noise)
            case .strided(let conv): x = conv(x, causal: true)
            case .spaceToDepth(let b): x = b(x)
            }
        }
        x = convOut(x.pixelNorm().silu(), causal: true)
        return statistics.normalize(x.sliced(axis: 1, 0..<config.latentChannels))
    }
}

extension VideoEncoder {
    /// Every weight `load` reads for `config`, with its shape, in reading order (for making
    /// random-weight files of any size; the keys are the component's own, without the
    /// checkpoint prefix).
    public static func weightShapes(config: VAEConfig) -> [(key: String, shape: [Int])] {
        let r = WeightReader(recordingShapes: ())
        _ = try! build(r, config: config)
        return r.recorded
    }
}
