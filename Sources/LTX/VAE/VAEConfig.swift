import Tensors

/// The video VAE's shape and options, read from a checkpoint's `config["vae"]` metadata
/// (reading map 2.2 and 4). Defaults are ltx-core 1.0.0's, including its one oddity: without a
/// `spatial_padding_mode` key the encoder pads with zeros and the decoder reflects.
public struct VAEConfig: Sendable, Equatable {
    /// One encoder block (`encoder_blocks` entry), in file order.
    public enum EncoderBlock: Sendable, Equatable {
        /// `res_x`: `layers` residual blocks at constant width.
        case residual(layers: Int)
        /// `res_x_y`: one residual block to `multiplier`× the width (1×1×1 shortcut).
        case residualWiden(multiplier: Int)
        /// `compress_time` / `compress_space` / `compress_all` (`compress_all_x_y` with a
        /// multiplier): a strided causal convolution.
        case stridedConv(stride: [Int], multiplier: Int)
        /// `compress_{time,space,all}_res`: space-to-depth with a convolution beside the
        /// averaged skip, to `multiplier`× the width.
        case spaceToDepth(stride: [Int], multiplier: Int)
    }

    /// One decoder block (`decoder_blocks` entry), in file order; the decoder runs them
    /// last to first.
    public enum DecoderBlock: Sendable, Equatable {
        /// `res_x`, optionally with StyleGAN-style spatial noise after each convolution.
        case residual(layers: Int, injectNoise: Bool)
        /// `res_x_y`: one residual block to width / `multiplier`.
        case residualNarrow(multiplier: Int)
        /// `compress_{time,space,all}`: a convolution then depth-to-space, width / `multiplier`
        /// (`residual`: the shuffled input is added back, compress_all only).
        case depthToSpace(stride: [Int], multiplier: Int, residual: Bool)
    }

    /// How the encoder's output channels beyond the means are laid out (`latent_log_var`).
    public enum LogVariance: String, Sendable {
        case uniform = "uniform", perChannel = "per_channel", constant = "constant"
    }

    public var inChannels: Int
    public var outChannels: Int
    public var latentChannels: Int
    public var patchSize: Int
    public var logVariance: LogVariance
    public var encoderPadding: PaddingMode
    public var decoderPadding: PaddingMode
    public var causalDecoder: Bool
    public var timestepConditioning: Bool
    public var decoderBaseChannels: Int
    public var encoderBlocks: [EncoderBlock]
    public var decoderBlocks: [DecoderBlock]

    /// Pixels per latent cell: `(time, height, width)`. ltx-pipelines hard-codes 8, 32, 32;
    /// the config must produce exactly that.
    public static let scaleFactors = (time: 8, height: 32, width: 32)

    /// Reads `config["vae"]`.
    public init(json: JSONValue, path: String) throws(LTXConfigError) {
        let r = ConfigReader(json: json, path: path, section: "vae")
        guard try r.int("dims", default: 3, positive: true) == 3 else {
            throw r.error("dims", "must be 3 (the LTX video VAE); 2-D and (2, 1) convolutions are not supported")
        }
        inChannels = try r.int("in_channels", default: 3, positive: true)
        outChannels = try r.int("out_channels", default: 3, positive: true)
        latentChannels = try r.int("latent_channels", default: 128, positive: true)
        patchSize = try r.int("patch_size", default: 4, positive: true)
        let norm = try r.string("norm_layer", default: "pixel_norm")
        guard norm == "pixel_norm" else {
            throw r.error("norm_layer", "must be \"pixel_norm\" (as LTX-2 and LTX-2.3 use), found \"\(norm)\"")
        }
        let logVar = try r.string("latent_log_var", default: "uniform")
        guard let lv = LogVariance(rawValue: logVar) else {
            throw r.error("latent_log_var", "must be \"uniform\", \"per_channel\" or \"constant\", found \"\(logVar)\"")
        }
        logVariance = lv
        if let mode = json["spatial_padding_mode"] {
            guard let name = mode.stringValue, let m = PaddingMode(rawValue: name), m != .replicate else {
                throw r.error("spatial_padding_mode", "must be \"zeros\" or \"reflect\", found \(mode.compactText)")
            }
            (encoderPadding, decoderPadding) = (m, m)
        } else {
            (encoderPadding, decoderPadding) = (.zeros, .reflect)
        }
        causalDecoder = try r.bool("causal_decoder", default: false)
        timestepConditioning = try r.bool("timestep_conditioning", default: true)
        decoderBaseChannels = try r.int("decoder_base_channels", default: 128, positive: true)
        var encoder: [EncoderBlock] = [], decoder: [DecoderBlock] = []
        for (name, params, i) in try Self.blocks(json["encoder_blocks"], r, "encoder_blocks") {
            encoder.append(try Self.encoderBlock(name, params, r.error("encoder_blocks[\(i)]", "")))
        }
        for (name, params, i) in try Self.blocks(json["decoder_blocks"], r, "decoder_blocks") {
            decoder.append(try Self.decoderBlock(name, params, r.error("decoder_blocks[\(i)]", "")))
        }
        (encoderBlocks, decoderBlocks) = (encoder, decoder)
        try checkScale(r)
    }

    /// Reads the VAE config of a checkpoint file.
    public init(file: SafetensorsFile) throws(LTXConfigError) {
        let config: JSONValue?
        do { config = try LTXComponent.videoEncoder.config(in: file) } catch {
            throw LTXConfigError(path: file.path, key: "config", error.reason)
        }
        guard let config else {
            throw LTXConfigError(path: file.path, key: "config", "the file has no vae config in its metadata")
        }
        try self.init(json: config, path: file.path)
    }

    // MARK: Block lists

    /// `[[name, params], ...]` with params an object or an integer (`num_layers`).
    private static func blocks(_ value: JSONValue?, _ r: ConfigReader, _ key: String) throws(LTXConfigError)
        -> [(String, JSONValue, Int)]
    {
        guard let value else { throw r.error(key, "is missing: without it ltx-core builds a VAE with no blocks") }
        guard case .array(let items) = value else { throw r.error(key, "must be a list of [name, params] pairs, found \(value.compactText)") }
        var out: [(String, JSONValue, Int)] = []
        for (i, item) in items.enumerated() {
            guard case .array(let pair) = item, pair.count == 2, let name = pair[0].stringValue else {
                throw r.error("\(key)[\(i)]", "must be a [name, params] pair, found \(item.compactText)")
            }
            let params: JSONValue
            if case .number = pair[1], let n = pair[1].intValue {
                params = .object([(key: "num_layers", value: .number(String(n)))])
            } else {
                guard case .object = pair[1] else {
                    throw r.error("\(key)[\(i)]", "params must be an object or an integer, found \(pair[1].compactText)")
                }
                params = pair[1]
            }
            out.append((name, params, i))
        }
        return out
    }

    private static func int(_ params: JSONValue, _ key: String, _ fallback: Int?, _ e: LTXConfigError) throws(LTXConfigError) -> Int {
        guard let v = params[key] else {
            guard let fallback else { throw LTXConfigError(path: e.path, key: e.key, "needs '\(key)'") }
            return fallback
        }
        guard case .number = v, let n = v.intValue, n >= 1 else {
            throw LTXConfigError(path: e.path, key: e.key, "'\(key)' must be a positive integer, found \(v.compactText)")
        }
        return n
    }

    static let strides = ["time": [2, 1, 1], "space": [1, 2, 2], "all": [2, 2, 2]]

    private static func encoderBlock(_ name: String, _ p: JSONValue, _ e: LTXConfigError) throws(LTXConfigError) -> EncoderBlock {
        switch name {
        case "res_x": return .residual(layers: try int(p, "num_layers", nil, e))
        case "res_x_y": return .residualWiden(multiplier: try int(p, "multiplier", 2, e))
        case "compress_time", "compress_space", "compress_all":
            return .stridedConv(stride: strides[String(name.dropFirst("compress_".count))]!, multiplier: 1)
        case "compress_all_x_y": return .stridedConv(stride: [2, 2, 2], multiplier: try int(p, "multiplier", 2, e))
        case "compress_time_res", "compress_space_res", "compress_all_res":
            let axis = String(name.dropFirst("compress_".count).dropLast("_res".count))
            return .spaceToDepth(stride: strides[axis]!, multiplier: try int(p, "multiplier", 2, e))
        default:
            throw LTXConfigError(path: e.path, key: e.key,
                "unknown encoder block \"\(name)\"; known: res_x, res_x_y, compress_time, compress_space, compress_all, compress_all_x_y, compress_time_res, compress_space_res, compress_all_res")
        }
    }

    private static func decoderBlock(_ name: String, _ p: JSONValue, _ e: LTXConfigError) throws(LTXConfigError) -> DecoderBlock {
        switch name {
        case "res_x":
            return .residual(layers: try int(p, "num_layers", nil, e), injectNoise: p["inject_noise"] == .bool(true))
        case "res_x_y":
            if p["inject_noise"] == .bool(true) {
                throw LTXConfigError(path: e.path, key: e.key, "inject_noise on res_x_y cannot run (ltx-core's noise scale has the input width)")
            }
            return .residualNarrow(multiplier: try int(p, "multiplier", 2, e))
        case "compress_time", "compress_space", "compress_all":
            return .depthToSpace(
                stride: strides[String(name.dropFirst("compress_".count))]!, multiplier: try int(p, "multiplier", 1, e),
                residual: name == "compress_all" && p["residual"] == .bool(true))
        case "attn_res_x":
            throw LTXConfigError(path: e.path, key: e.key, "attn_res_x is not supported (ltx-core 1.0.0 cannot build it either)")
        default:
            throw LTXConfigError(path: e.path, key: e.key,
                "unknown decoder block \"\(name)\"; known: res_x, res_x_y, compress_time, compress_space, compress_all")
        }
    }

    /// ltx-pipelines assumes 8× time and 32× space compression; a config that compresses
    /// differently would produce latents no pipeline step can place.
    private func checkScale(_ r: ConfigReader) throws(LTXConfigError) {
        var time = 1, space = patchSize
        for b in encoderBlocks {
            switch b {
            case .stridedConv(let s, _), .spaceToDepth(let s, _): time *= s[0]; space *= s[1]
            default: break
            }
        }
        guard time == Self.scaleFactors.time && space == Self.scaleFactors.height else {
            throw r.error("encoder_blocks", "compress time ×\(time) and space ×\(space) (with patch_size \(patchSize)); LTX pipelines need ×8 and ×32")
        }
        var dTime = 1, dSpace = patchSize
        for b in decoderBlocks {
            if case .depthToSpace(let s, _, _) = b { dTime *= s[0]; dSpace *= s[1] }
        }
        guard dTime == Self.scaleFactors.time && dSpace == Self.scaleFactors.height else {
            throw r.error("decoder_blocks", "expand time ×\(dTime) and space ×\(dSpace) (with patch_size \(patchSize)); LTX pipelines need ×8 and ×32")
        }
    }
}
