/// The parts of an LTX-2 / LTX-2.3 ComfyUI-style checkpoint, and how each finds its
/// weights and config (reading map 2.1 and 2.2; ltx-core's `*_COMFY_KEYS_FILTER` SDOps).
///
/// One checkpoint file holds the transformer under `model.diffusion_model.` and the video
/// VAE under `vae.encoder.`, `vae.decoder.` and `vae.per_channel_statistics.`. The spatial
/// upsampler ships as its own file whose keys are used as stored.
public enum LTXComponent: String, Sendable, CaseIterable {
    case transformer
    case videoEncoder = "video encoder"
    case videoDecoder = "video decoder"
    case spatialUpsampler = "spatial upsampler"

    /// The key map from the file's keys to the component's parameter names. The rules
    /// repeat ltx-core's exactly (it replaces substrings anywhere in the key).
    public var keyMap: KeyMap {
        switch self {
        case .transformer:
            KeyMap(rawValue, [
                .keepPrefix("model.diffusion_model."),
                .replace("model.diffusion_model.", with: ""),
            ])
        case .videoEncoder:
            KeyMap(rawValue, [
                .keepPrefix("vae.encoder."), .keepPrefix("vae.per_channel_statistics."),
                .replace("vae.encoder.", with: ""),
                .replace("vae.per_channel_statistics.", with: "per_channel_statistics."),
            ])
        case .videoDecoder:
            KeyMap(rawValue, [
                .keepPrefix("vae.decoder."), .keepPrefix("vae.per_channel_statistics."),
                .replace("vae.decoder.", with: ""),
                .replace("vae.per_channel_statistics.", with: "per_channel_statistics."),
            ])
        case .spatialUpsampler:
            KeyMap(rawValue, [])
        }
    }

    /// The component's config from the file's `config` metadata: `config["transformer"]`,
    /// `config["vae"]` for both VAE halves, and the whole (flat) config for the upsampler.
    /// Nil when the file or the section has none.
    public func config(in file: SafetensorsFile) throws(WeightFileError) -> JSONValue? {
        guard let config = try file.config() else { return nil }
        switch self {
        case .transformer: return config["transformer"]
        case .videoEncoder, .videoDecoder: return config["vae"]
        case .spatialUpsampler: return config
        }
    }
}

extension KeyMap {
    /// LTX LoRA keys as ltx-core reads them (`LTXV_LORA_COMFY_RENAMING_MAP`): every key kept,
    /// `diffusion_model.` deleted wherever it occurs.
    public static let ltxLoRA = KeyMap("LoRA", [.replace("diffusion_model.", with: "")])
}
