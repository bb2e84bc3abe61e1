import Tensors

/// The latent upsampler's shape, read from its file's flat `config` metadata (reading map 2.2
/// and 5). Defaults are ltx-core 1.0.0's.
public struct UpsamplerConfig: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        /// ×2 in height and width: a per-frame 3×3 convolution to 4× the channels, then a pixel shuffle.
        case spatial
        /// A rational spatial scale num/den (0.75, 1.5, 2 or 4): shuffle up by num, blur down by den.
        case rational(num: Int, den: Int)
        /// ×2 in time (the first output frame dropped).
        case temporal
        /// ×2 in time, height and width.
        case spatioTemporal
    }

    public var inChannels: Int
    public var midChannels: Int
    public var blocksPerStage: Int
    public var mode: Mode

    public init(json: JSONValue, path: String) throws(LTXConfigError) {
        let r = ConfigReader(json: json, path: path, section: "upsampler")
        inChannels = try r.int("in_channels", default: 128, positive: true)
        midChannels = try r.int("mid_channels", default: 512, positive: true)
        guard midChannels % 32 == 0 else {
            throw r.error("mid_channels", "must be a multiple of 32 (GroupNorm with 32 groups), found \(midChannels)")
        }
        blocksPerStage = try r.int("num_blocks_per_stage", default: 4, positive: false)
        guard try r.int("dims", default: 3, positive: true) == 3 else {
            throw r.error("dims", "must be 3 (every released LTX upsampler); per-frame 2-D upsamplers are not supported")
        }
        let spatial = try r.bool("spatial_upsample", default: true)
        let temporal = try r.bool("temporal_upsample", default: false)
        let scale = try r.double("spatial_scale", default: 2)
        let rational = try r.bool("rational_resampler", default: false)
        switch (spatial, temporal) {
        case (true, true): mode = .spatioTemporal
        case (false, true): mode = .temporal
        case (true, false):
            if rational {
                let table: [Double: (Int, Int)] = [0.75: (3, 4), 1.5: (3, 2), 2: (2, 1), 4: (4, 1)]
                guard let (num, den) = table[scale] else {
                    throw r.error("spatial_scale", "must be 0.75, 1.5, 2 or 4 for the rational resampler, found \(scale)")
                }
                mode = .rational(num: num, den: den)
            } else {
                mode = .spatial
            }
        case (false, false):
            throw r.error("spatial_upsample", "spatial_upsample or temporal_upsample must be true")
        }
    }

    /// Reads the config of an upsampler file.
    public init(file: SafetensorsFile) throws(LTXConfigError) {
        let config: JSONValue?
        do { config = try LTXComponent.spatialUpsampler.config(in: file) } catch {
            throw LTXConfigError(path: file.path, key: "config", error.reason)
        }
        guard let config else {
            throw LTXConfigError(path: file.path, key: "config", "the file has no config metadata (ltx-core would silently use its defaults)")
        }
        try self.init(json: config, path: file.path)
    }
}
