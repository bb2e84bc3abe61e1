import Tensors

/// The LTX video VAE decoder: normalised latents `[B, C, F', H', W']` to pixels
/// `[B, 3, 8(F'-1)+1, 32H', 32W']` in about [-1, 1] (reading map 4.4). Timestep-conditioned
/// decoders add decode noise (`0.025·eps + 0.975·z`) and modulate by the decode timestep 0.05.
public struct VideoDecoder: Sendable {
    enum Block: Sendable {
        case residual(VAEMidBlock)
        case narrow(VAEResnetBlock)
        case depthToSpace(DepthToSpaceUpsample)
    }

    public let config: VAEConfig
    var convIn: CausalConv3d
    var blocks: [Block]
    var convOut: CausalConv3d
    var statistics: PerChannelStatistics
    /// `timestep_scale_multiplier`, `last_time_embedder` and `last_scale_shift_table [2, C]`.
    var timeConditioning: (multiplier: Float, embedder: (LinearWeights, LinearWeights), table: Tensor)?

    /// ltx-core's decode noise scale and default decode timestep.
    public static let decodeNoiseScale: Float = 0.025
    public static let decodeTimestep: Float = 0.05

    public static func load(from file: SafetensorsFile, config c: VAEConfig, dtype: DType = .f32, device: Device = .cpu)
        throws(WeightFileError) -> (VideoDecoder, UnexpectedKeys)
    {
        let r = WeightReader(try LTXComponent.videoDecoder.keyMap.apply(to: file), dtype: dtype, device: device)
        let built = try build(r, config: c)
        return (built, r.unexpected())
    }

    /// Builds the module from `r` (a file's weights, or a shape recorder: `weightShapes`).
    static func build(_ r: WeightReader, config c: VAEConfig) throws(WeightFileError) -> VideoDecoder {
        let pad = c.decoderPadding
        var width = c.decoderBaseChannels * 8
        let convIn = try CausalConv3d(r, "conv_in", in: c.latentChannels, out: width, padding: pad)
        var blocks: [Block] = []
        for (i, block) in c.decoderBlocks.reversed().enumerated() {
            let name = "up_blocks.\(i)"
            switch block {
            case .residual(let layers, let injectNoise):
                blocks.append(.residual(try VAEMidBlock(
                    r, name, channels: width, layers: layers, padding: pad, timestepConditioning: c.timestepConditioning,
                    injectNoise: injectNoise)))
            case .residualNarrow(let m):
                blocks.append(.narrow(try VAEResnetBlock(
                    r, name, in: width, out: width / m, padding: pad, timestepConditioning: false, injectNoise: false)))
                width /= m
            case .depthToSpace(let stride, let m, let residual):
                blocks.append(.depthToSpace(try DepthToSpaceUpsample(
                    r, name, in: width, stride: stride, multiplier: m, residual: residual, padding: pad)))
                width /= m
            }
        }
        let convOut = try CausalConv3d(r, "conv_out", in: width, out: c.outChannels * c.patchSize * c.patchSize, padding: pad)
        var time: (Float, (LinearWeights, LinearWeights), Tensor)?
        if c.timestepConditioning {
            time = (
                try r.scalar("timestep_scale_multiplier"),
                (try linear(r, "last_time_embedder.timestep_embedder.linear_1", out: 2 * width, in: 256),
                 try linear(r, "last_time_embedder.timestep_embedder.linear_2", out: 2 * width, in: 2 * width)),
                try r.tensor("last_scale_shift_table", [2, width]))
        }
        let decoder = VideoDecoder(
            config: c, convIn: convIn, blocks: blocks, convOut: convOut,
            statistics: try PerChannelStatistics(r, channels: c.latentChannels), timeConditioning: time)
        return decoder
    }

    /// Checks a latent's shape: `[B, C, F', H', W']` with the config's channel count.
    public func checkLatent(_ shape: [Int]) throws(VAEError) {
        guard shape.count == 5, shape[1] == config.latentChannels, shape[0] >= 1, shape[2...].allSatisfy({ $0 >= 1 }) else {
            throw VAEError("the decoder takes latents [B, \(config.latentChannels), F', H', W'], found shape \(shape)")
        }
    }

    /// Decodes a latent.
    /// - Parameters:
    ///   - timestep: the decode timestep (timestep-conditioned decoders; ltx-core's 0.05 by default).
    ///   - noise: the random draws the config needs (decode noise, `inject_noise`).
    public func decode(_ latent: Tensor, timestep: Float = decodeTimestep, noise: inout VAENoise) throws(VAEError) -> Tensor {
        try checkLatent(latent.shape)
        let dtype = latent.dtype
        var x = latent
        var scaledTimestep: [Float]?
        if let time = timeConditioning {
            let eps = try noise.draw(latent.shape, dtype: dtype, device: latent.device, purpose: "decode noise")
            x = eps * Self.decodeNoiseScale + (1 - Self.decodeNoiseScale) * x
            // torch: the timestep tensor and the multiplier are in the latent's dtype.
            let t = Self.rounded(Self.rounded(timestep, dtype) * Self.rounded(time.multiplier, dtype), dtype)
            scaledTimestep = Array(repeating: t, count: latent.shape[0])
        }
        x = statistics.unnormalize(x)
        let causal = config.causalDecoder
        x = convIn(x, causal: causal)
        for block in blocks {
            switch block {
            case .residual(let b): x = try b(x, causal: causal, scaledTimestep: scaledTimestep, noise: &noise)
            case .narrow(let b): x = try b(x, causal: causal, embedding: nil, noise: &noise)
            case .depthToSpace(let b): x = b(x, causal: causal)
            }
        }
        x = x.pixelNorm()
        if let time = timeConditioning, let t = scaledTimestep {
            let (b, c) = (x.shape[0], x.shape[1])
            let embedding = timestepEmbedding(t, time.embedder.0, time.embedder.1, dtype: dtype, device: x.device)
            let values = time.table.reshaped([1, 2, c]) + embedding.reshaped([b, 2, c])
            let shift = values.sliced(axis: 1, 0..<1).reshaped([b, c, 1, 1, 1])
            let scale = values.sliced(axis: 1, 1..<2).reshaped([b, c, 1, 1, 1])
            x = x.modulated(scale: scale, shift: shift)
        }
        x = convOut(x.silu(), causal: causal)
        return x.depthToSpace([1, config.patchSize, config.patchSize], order: .timeWidthHeight)
    }

    /// `value` as a tensor of `dtype` holds it.
    static func rounded(_ value: Float, _ dtype: DType) -> Float {
        dtype == .f32 ? value : Tensor(value).to(dtype: dtype).hostScalars()[0]
    }
}

extension VideoDecoder {
    /// Every weight `load` reads for `config`, with its shape, in reading order (for making
    /// random-weight files of any size; the keys are the component's own, without the
    /// checkpoint prefix).
    public static func weightShapes(config: VAEConfig) -> [(key: String, shape: [Int])] {
        let r = WeightReader(recordingShapes: ())
        _ = try! build(r, config: config)
        return r.recorded
    }
}
