/// How a LoRA file names its low-rank factors.
public enum LoRAFormat: Sendable, Equatable, CustomStringConvertible {
    /// `<module>.lora_A.weight` (rank × in) and `<module>.lora_B.weight` (out × rank), as LTX
    /// LoRAs ship; `prefixed` when keys carry `diffusion_model.`. Scale = strength: ltx-core
    /// applies no alpha/rank scaling and ignores `alpha` keys.
    case loraAB(prefixed: Bool)
    /// kohya: `<module>.lora_down.weight` (rank × in), `<module>.lora_up.weight` (out × rank)
    /// and an optional `<module>.alpha`; scale = strength × alpha / rank (alpha = rank when absent).
    case kohya

    public var description: String {
        switch self {
        case .loraAB(let prefixed):
            "lora_A/lora_B" + (prefixed ? " with diffusion_model. prefix" : " without prefix")
        case .kohya: "kohya lora_down/lora_up with alpha"
        }
    }
}

/// One low-rank update `ΔW = B · A` for one module.
public struct LoRAPair: Sendable {
    /// The module as named in the LoRA file after ltx-core's renaming (`diffusion_model.`
    /// deleted), e.g. `transformer_blocks.0.attn1.to_q` or kohya's `lora_unet_…_to_q`.
    public let module: String
    /// `lora_A` / `lora_down`: rank × in.
    public let down: StoredTensor
    /// `lora_B` / `lora_up`: out × rank.
    public let up: StoredTensor
    /// kohya's alpha (nil for lora_A/lora_B files, where it is ignored).
    public let alpha: Float?

    public var rank: Int { down.shape[0] }
    public var inFeatures: Int { down.shape[1] }
    public var outFeatures: Int { up.shape[0] }

    /// The factor B is multiplied by: the strength, times alpha / rank for kohya.
    public func scale(strength: Float) -> Float {
        guard let alpha else { return strength }
        return Float(Double(strength) * Double(alpha) / Double(rank))
    }
}

/// A LoRA file parsed into its pairs; reading the header only, no tensor data except
/// kohya `alpha` scalars.
public struct LoRAAdapter: Sendable {
    public let file: SafetensorsFile
    public let format: LoRAFormat
    /// Pairs sorted by module.
    public let pairs: [LoRAPair]
    /// `alpha` keys of a lora_A/lora_B file, which ltx-core ignores (and so do we).
    public let ignoredAlphaKeys: [String]

    public var path: String { file.path }

    /// Parses `file`.
    /// - Throws: `WeightFileError.loraMismatch` for a key that is no LoRA factor, a factor
    ///   without its partner, mixed formats, factors that are not 2-D, ranks that differ or an
    ///   unsupported dtype (factors must be BF16, F16 or F32).
    public init(file: SafetensorsFile) throws(WeightFileError) {
        self.file = file
        var down: [String: StoredTensor] = [:], up: [String: StoredTensor] = [:]
        var alphas: [String: StoredTensor] = [:]
        var sawAB = false, sawKohya = false, prefixed = false
        func fail(_ tensor: String, _ reason: String) -> WeightFileError {
            WeightFileError(.loraMismatch, path: file.path, tensor: tensor, reason)
        }
        for tensor in file.tensors {
            let name = KeyMap.ltxLoRA.apply(to: tensor.name)!
            if name != tensor.name { prefixed = true }
            if let module = name.dropSuffix(".lora_A.weight") { down[module] = tensor; sawAB = true }
            else if let module = name.dropSuffix(".lora_B.weight") { up[module] = tensor; sawAB = true }
            else if let module = name.dropSuffix(".lora_down.weight") { down[module] = tensor; sawKohya = true }
            else if let module = name.dropSuffix(".lora_up.weight") { up[module] = tensor; sawKohya = true }
            else if let module = name.dropSuffix(".alpha") { alphas[module] = tensor }
            else {
                throw fail(tensor.name, "is not a LoRA factor (expected names ending in .lora_A.weight, "
                    + ".lora_B.weight, .lora_down.weight, .lora_up.weight or .alpha)")
            }
        }
        if sawAB && sawKohya {
            throw WeightFileError(.loraMismatch, path: file.path, "mixes lora_A/lora_B and lora_down/lora_up keys")
        }
        format = sawKohya ? .kohya : .loraAB(prefixed: prefixed)

        var pairs: [LoRAPair] = []
        for module in Set(down.keys).union(up.keys).sorted() {
            guard let a = down[module], let b = up[module] else {
                let present = (down[module] ?? up[module])!
                throw fail(present.name, "has no partner: a LoRA module needs both its down (A) and up (B) factor")
            }
            for t in [a, b] where ![.bf16, .f16, .f32].contains(t.dtype) {
                throw fail(t.name, "has dtype \(t.dtype.rawValue); LoRA factors must be BF16, F16 or F32")
            }
            guard a.dtype == b.dtype else {
                throw fail(b.name, "has dtype \(b.dtype.rawValue) but its partner has \(a.dtype.rawValue)")
            }
            guard a.shape.count == 2, b.shape.count == 2 else {
                throw fail(a.shape.count == 2 ? b.name : a.name, "is not 2-D; only linear-layer LoRAs are supported")
            }
            guard a.shape[0] == b.shape[1] else {
                throw fail(b.name, "has shape \(b.shape), whose rank does not match \(a.shape) of its partner")
            }
            var alpha: Float?
            if sawKohya, let alphaTensor = alphas[module] {
                let values = alphaTensor.floatTensor().hostScalars()
                guard values.count == 1, values[0].isFinite else {
                    throw fail(alphaTensor.name, "alpha must be one finite number, found shape \(alphaTensor.shape)")
                }
                alpha = values[0]
            }
            pairs.append(LoRAPair(module: module, down: a, up: b, alpha: alpha))
        }
        if sawKohya, let orphan = alphas.keys.sorted().first(where: { down[$0] == nil }) {
            throw fail(alphas[orphan]!.name, "is an alpha without lora_down/lora_up factors")
        }
        self.pairs = pairs
        self.ignoredAlphaKeys = sawKohya ? [] : alphas.values.map(\.name).sorted()
    }

    /// Opens and parses the LoRA file at `path`.
    public init(path: String) throws(WeightFileError) {
        try self.init(file: try SafetensorsFile(path: path))
    }

    /// The smallest and largest rank (nil for a file with no pairs).
    public var rankRange: ClosedRange<Int>? {
        guard let lo = pairs.map(\.rank).min(), let hi = pairs.map(\.rank).max() else { return nil }
        return lo...hi
    }
}

extension String {
    /// The string without `suffix`, or nil when it does not end with it.
    func dropSuffix(_ suffix: String) -> String? {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : nil
    }
}
