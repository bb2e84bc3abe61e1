import Tensors

/// The video transformer's shape and options, read from a checkpoint's `config` metadata
/// (`config["transformer"]`, reading map 2.2). Defaults are ltx-core's; the keys ltx-core
/// checks for exact values are checked the same way, and anything Reelflow cannot run (an
/// unknown `rope_type`, a cross-attention width other than the model width) is an error
/// naming the key.
public struct TransformerConfig: Sendable, Equatable {
    public var heads: Int
    public var headDim: Int
    public var inChannels: Int
    public var outChannels: Int
    public var layers: Int
    public var crossAttentionDim: Int
    public var normEps: Float
    public var ropeTheta: Double
    public var maxPositions: [Int]
    public var timestepScale: Float
    public var ropeLayout: RoPELayout
    /// `frequencies_precision == "float64"`: the RoPE frequency grid in float64.
    public var float64FrequencyGrid: Bool
    /// LTX-2.3: a sigmoid gate per head on each attention's output.
    public var gatedAttention: Bool
    /// LTX-2.3: AdaLN on the text cross-attention (9 AdaLN parameters per block) and the
    /// prompt AdaLN on the context.
    public var crossAttentionAdaLN: Bool
    /// LTX-2.0: the width of the prompt context the transformer projects itself
    /// (`caption_projection`); nil when the context arrives already `width` wide
    /// (`caption_proj_before_connector`, LTX-2.3).
    public var captionChannels: Int?

    /// The model width `heads * headDim`.
    public var width: Int { heads * headDim }
    /// AdaLN parameters per block: 6, or 9 with cross-attention AdaLN.
    public var adaLNCoefficient: Int { crossAttentionAdaLN ? 9 : 6 }

    /// ltx-core's checks for exact values (`check_config_value`): a missing key reads as null.
    static let exactValues: [(String, JSONValue)] = [
        ("dropout", .number("0")), ("attention_bias", .bool(true)), ("num_vector_embeds", .null),
        ("activation_fn", .string("gelu-approximate")), ("num_embeds_ada_norm", .number("1000")),
        ("use_linear_projection", .bool(false)), ("only_cross_attention", .bool(false)),
        ("cross_attention_norm", .bool(true)), ("double_self_attention", .bool(false)),
        ("upcast_attention", .bool(false)), ("standardization_norm", .string("rms_norm")),
        ("norm_elementwise_affine", .bool(false)), ("qk_norm", .string("rms_norm")),
        ("positional_embedding_type", .string("rope")), ("use_middle_indices_grid", .bool(true)),
    ]

    /// Reads `config["transformer"]`.
    /// - Parameters:
    ///   - json: the transformer section.
    ///   - path: the file, for messages.
    public init(json: JSONValue, path: String) throws(LTXConfigError) {
        let reader = ConfigReader(json: json, path: path, section: "transformer")
        for (key, expected) in Self.exactValues {
            let found = json[key] ?? .null
            guard Self.same(found, expected) else {
                throw reader.error(key, "must be \(expected.compactText) (as ltx-core requires), found \(found.compactText)")
            }
        }
        heads = try reader.int("num_attention_heads", default: 32, positive: true)
        headDim = try reader.int("attention_head_dim", default: 128, positive: true)
        inChannels = try reader.int("in_channels", default: 128, positive: true)
        outChannels = try reader.int("out_channels", default: 128, positive: true)
        layers = try reader.int("num_layers", default: 48, positive: false)
        crossAttentionDim = try reader.int("cross_attention_dim", default: 4096, positive: true)
        normEps = Float(try reader.double("norm_eps", default: 1e-6))
        ropeTheta = try reader.double("positional_embedding_theta", default: 10000)
        maxPositions = try reader.intArray("positional_embedding_max_pos", default: [20, 2048, 2048])
        timestepScale = Float(try reader.double("timestep_scale_multiplier", default: 1000))
        let rope = try reader.string("rope_type", default: "interleaved")
        guard let layout = RoPELayout(rawValue: rope) else {
            throw reader.error("rope_type", "must be \"interleaved\" or \"split\", found \"\(rope)\"")
        }
        ropeLayout = layout
        float64FrequencyGrid = (json["frequencies_precision"]?.stringValue) == "float64"
        gatedAttention = try reader.bool("apply_gated_attention", default: false)
        crossAttentionAdaLN = try reader.bool("cross_attention_adaln", default: false)
        if try reader.bool("caption_proj_before_connector", default: false) {
            captionChannels = nil
        } else {
            guard json["caption_channels"] != nil else {
                throw reader.error("caption_channels", "is required when caption_proj_before_connector is false (LTX-2.0 layout)")
            }
            captionChannels = try reader.int("caption_channels", default: 0, positive: true)
        }
        let attentionType = try reader.string("attention_type", default: "default")
        guard ["default", "pytorch", "xformers", "flash_attention_3"].contains(attentionType) else {
            throw reader.error("attention_type", "unknown attention type \"\(attentionType)\"")
        }
        guard maxPositions.count == 3 else {
            throw reader.error("positional_embedding_max_pos", "must list 3 extents (time, height, width), found \(maxPositions)")
        }
        guard crossAttentionDim == width else {
            throw reader.error(
                "cross_attention_dim",
                "must equal num_attention_heads x attention_head_dim = \(width) (the context is reshaped to the model width), found \(crossAttentionDim)")
        }
        guard headDim % 2 == 0 else { throw reader.error("attention_head_dim", "must be even for RoPE, found \(headDim)") }
    }

    /// Reads the transformer config of a checkpoint file.
    public init(file: SafetensorsFile) throws(LTXConfigError) {
        let config: JSONValue?
        do { config = try LTXComponent.transformer.config(in: file) } catch {
            throw LTXConfigError(path: file.path, key: "config", error.reason)
        }
        guard let config else {
            throw LTXConfigError(path: file.path, key: "config", "the file has no transformer config in its metadata")
        }
        try self.init(json: config, path: file.path)
    }

    /// Numbers compare by value (`0.0` is `0`); everything else structurally.
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue, case .number = a, case .number = b { return x == y }
        return a == b
    }
}

/// Typed reads of one config section, with errors that name the file and the key.
struct ConfigReader {
    let json: JSONValue
    let path: String
    let section: String

    func error(_ key: String, _ reason: String) -> LTXConfigError {
        LTXConfigError(path: path, key: "\(section).\(key)", reason)
    }

    func int(_ key: String, default value: Int, positive: Bool) throws(LTXConfigError) -> Int {
        guard let v = json[key] else { return value }
        guard case .number = v, let n = v.intValue, n >= (positive ? 1 : 0) else {
            throw error(key, "must be a \(positive ? "positive" : "non-negative") integer, found \(v.compactText)")
        }
        return n
    }

    func double(_ key: String, default value: Double) throws(LTXConfigError) -> Double {
        guard let v = json[key] else { return value }
        guard case .number = v, let d = v.doubleValue, d.isFinite else { throw error(key, "must be a number, found \(v.compactText)") }
        return d
    }

    func bool(_ key: String, default value: Bool) throws(LTXConfigError) -> Bool {
        guard let v = json[key] else { return value }
        guard case .bool(let b) = v else { throw error(key, "must be true or false, found \(v.compactText)") }
        return b
    }

    func string(_ key: String, default value: String) throws(LTXConfigError) -> String {
        guard let v = json[key] else { return value }
        guard let s = v.stringValue else { throw error(key, "must be a string, found \(v.compactText)") }
        return s
    }

    func intArray(_ key: String, default value: [Int]) throws(LTXConfigError) -> [Int] {
        guard let v = json[key] else { return value }
        guard case .array(let items) = v else { throw error(key, "must be a list of integers, found \(v.compactText)") }
        var out: [Int] = []
        for item in items {
            guard case .number = item, let n = item.intValue, n > 0 else {
                throw error(key, "must be a list of positive integers, found \(v.compactText)")
            }
            out.append(n)
        }
        return out
    }
}
