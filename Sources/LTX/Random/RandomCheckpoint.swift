import Foundation
import Tensors

/// Random-weight LTX files of any config, in the layout of the real ones: a ComfyUI-style
/// checkpoint (transformer and VAE, config in the metadata), an upsampler with its flat
/// config, a LoRA on the transformer. The weights are random, so what the model makes is
/// noise-like, but every shape, key and code path is the real model's: the built-in demo
/// runs on tiny ones, benchmarks on full-size ones.
///
/// Initialisation (deterministic from `seed`: torch's CPU generator, or with `device` a GPU
/// the CUDA generator drawing there, which makes full-size files in seconds): weights of rank ≥ 2
/// are N(0, 1/fan_in); biases 0.05·N; rank-1 weights (norms) 1 + 0.1·N; AdaLN scale-shift
/// tables 0.3·N; per-channel statistics: means 0.1·N, stds in [0.5, 1.5).
public enum RandomCheckpoint {
    /// A checkpoint for `config` = `{"transformer": {...}, "vae": {...}}` (either may be left out).
    public static func checkpoint(
        config: JSONValue, configText: String, seed: UInt64, dtype: DType = .f32, device: Device = .cpu
    ) throws -> SafetensorsWriter {
        var writer = SafetensorsWriter(metadata: [("config", configText), ("model_version", "random-\(seed)")])
        var g = device == .cpu ? TorchGenerator.cpu(seed: seed) : TorchGenerator.cuda(seed: seed)
        var keys: [(String, [Int])] = []
        if let t = config["transformer"] {
            let c = try TransformerConfig(json: t, path: "config.transformer")
            keys += TransformerWeights.expectedShapes(c).sorted { $0.key < $1.key }.map { ("model.diffusion_model." + $0.key, $0.value) }
        }
        if let v = config["vae"] {
            let c = try VAEConfig(json: v, path: "config.vae")
            var seen = Set<String>()
            for (component, shapes) in [("encoder", VideoEncoder.weightShapes(config: c)), ("decoder", VideoDecoder.weightShapes(config: c))] {
                for (key, shape) in shapes {
                    let full = key.hasPrefix("per_channel_statistics.") ? "vae." + key : "vae.\(component)." + key
                    if seen.insert(full).inserted { keys.append((full, shape)) }
                }
            }
        }
        for (key, shape) in keys {
            // Narrowed where it is made, so a GPU holds the checkpoint in its stored dtype.
            try writer.add(key, initial(key: key, shape: shape, generator: &g, device: device).to(dtype: dtype), as: dtype)
        }
        return writer
    }

    /// A latent upsampler for its flat `config`.
    public static func upsampler(
        config: JSONValue, configText: String, seed: UInt64, dtype: DType = .f32, device: Device = .cpu
    ) throws -> SafetensorsWriter {
        let c = try UpsamplerConfig(json: config, path: "config")
        var writer = SafetensorsWriter(metadata: [("config", configText)])
        var g = device == .cpu ? TorchGenerator.cpu(seed: seed) : TorchGenerator.cuda(seed: seed)
        for (key, shape) in LatentUpsampler.weightShapes(config: c) {
            try writer.add(key, initial(key: key, shape: shape, generator: &g, device: device).to(dtype: dtype), as: dtype)
        }
        return writer
    }

    /// A LoRA of `rank` on every attention projection and feed-forward layer of the
    /// transformer (`diffusion_model.<module>.lora_A/B.weight`), with an optional IC-LoRA
    /// `reference_downscale_factor`. A and B are 0.3·N / sqrt(fan_in).
    public static func lora(
        transformer c: TransformerConfig, rank: Int, seed: UInt64, referenceDownscaleFactor: Int? = nil,
        dtype: DType = .f32, device: Device = .cpu
    ) throws -> SafetensorsWriter {
        var metadata: [(key: String, value: String)] = []
        if let d = referenceDownscaleFactor { metadata.append(("reference_downscale_factor", String(d))) }
        var writer = SafetensorsWriter(metadata: metadata)
        var g = device == .cpu ? TorchGenerator.cpu(seed: seed) : TorchGenerator.cuda(seed: seed)
        let shapes = TransformerWeights.expectedShapes(c)
        let targets = shapes.keys.filter { key in
            key.hasSuffix(".weight") && (shapes[key]?.count == 2)
                && [".to_q.", ".to_k.", ".to_v.", ".to_out.0.", ".ff.net.0.proj.", ".ff.net.2."].contains { key.contains($0) }
        }.sorted()
        for key in targets {
            let module = String(key.dropLast(".weight".count))
            let (out, inp) = (shapes[key]![0], shapes[key]![1])
            let a = g.randn(shape: [rank, inp], device: device) * (0.3 / Float(inp).squareRoot())
            let b = g.randn(shape: [out, rank], device: device) * (0.3 / Float(rank).squareRoot())
            try writer.add("diffusion_model.\(module).lora_A.weight", a.to(dtype: dtype), as: dtype)
            try writer.add("diffusion_model.\(module).lora_B.weight", b.to(dtype: dtype), as: dtype)
        }
        return writer
    }

    /// The initial value of one weight (the rules above).
    static func initial(key: String, shape: [Int], generator g: inout TorchGenerator, device: Device = .cpu) -> Tensor {
        let n = g.randn(shape: shape, device: device)
        if key.hasSuffix("std-of-means") {
            return (n * 0.25).clamped(min: -0.49) + 1
        }
        if key.hasSuffix("mean-of-means") { return n * 0.1 }
        if key.hasSuffix("scale_shift_table") { return n * 0.3 }
        if key.hasSuffix(".bias") { return n * 0.05 }
        if shape.isEmpty { return Tensor(repeating: 1, shape: []) }
        if shape.count == 1 { return n * 0.1 + 1 }
        let fanIn = shape.dropFirst().reduce(1, *)
        return n * (1 / Float(fanIn).squareRoot())
    }
}
