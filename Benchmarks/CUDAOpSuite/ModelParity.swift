import Foundation
import LTX
import Tensors

/// `cuda-op-suite --models [FIXTURES]`: the tiny-model parity checks of LTXTests on the GPU.
/// The models load straight to `.cuda(0)`, the inputs move there, and the results are compared
/// with ltx-core's recorded outputs (Tests/LTXTests/Fixtures, made by tools/reference/) at the
/// tests' float32 bound, max-abs error / max-abs reference ≤ 1e-4. `--models-on-cpu` runs the
/// same checks on the CPU backend (no GPU needed), which checks the harness itself.
func runModelParity(fixtures: String, on cuda: Device, check: (String, Float, () throws -> (Tensor, Tensor)) -> Void) {
    func file(_ name: String) throws -> SafetensorsFile { try SafetensorsFile(path: "\(fixtures)/\(name).safetensors") }
    func stored(_ f: SafetensorsFile, _ key: String) throws -> Tensor { try f.tensor(key).tensor(dtype: .f32) }
    func gpu(_ f: SafetensorsFile, _ key: String) throws -> Tensor { try stored(f, key).to(device: cuda) }

    for style in ["ltx2", "ltx23"] {
        check("transformer \(style): forward (velocity)", 1e-4) {
            let checkpoint = try file("transformer_\(style)"), io = try file("forward_\(style)")
            let config = try TransformerConfig(file: checkpoint)
            let (weights, _) = try TransformerWeights.load(from: checkpoint, config: config, device: cuda)
            let model = VideoTransformer(config: config, weights: weights)
            let input = VideoTransformer.Input(
                latent: try gpu(io, "latent"), timesteps: try gpu(io, "timesteps"), sigma: try gpu(io, "sigma"),
                positions: try gpu(io, "positions"), context: try gpu(io, "context"), attentionMask: try gpu(io, "mask"))
            return (model.velocity(input), try stored(io, "velocity_masked"))
        }
    }
    let inputs = Result { try file("vae_a_io") }
    func pixels(_ range: Range<Int>) throws -> Tensor { try stored(try inputs.get(), "video_long").sliced(axis: 2, range).to(device: cuda) }
    for name in ["vae_a", "vae_b"] {
        check("VAE \(name): encode 9 frames", 1e-4) {
            let checkpoint = try file(name), io = try file("\(name)_io")
            let (encoder, _) = try VideoEncoder.load(from: checkpoint, config: try VAEConfig(file: checkpoint), device: cuda)
            return (try encoder.encode(try pixels(0..<9)), try stored(io, "encoded9"))
        }
        check("VAE \(name): decode", 1e-4) {
            let checkpoint = try file(name), io = try file("\(name)_io")
            let (decoder, _) = try VideoDecoder.load(from: checkpoint, config: try VAEConfig(file: checkpoint), device: cuda)
            var noise = VAENoise.generator(.cpu(seed: 7))
            return (try decoder.decode(try gpu(try inputs.get(), "latent"), noise: &noise), try stored(io, "decoded"))
        }
    }
    check("VAE vae_a: tiled decode", 1e-4) {
        let checkpoint = try file("vae_a"), io = try file("vae_a_io")
        let (decoder, _) = try VideoDecoder.load(from: checkpoint, config: try VAEConfig(file: checkpoint), device: cuda)
        var noise = VAENoise.generator(.cpu(seed: 9))
        var parts: [Tensor] = []
        try decoder.decodeTiled(
            try gpu(io, "latent_long"), tiling: try VAETiling(spatial: (64, 32), temporal: (16, 8)), noise: &noise
        ) { parts.append($0) }
        return (Tensor.concatenated(parts, axis: 2), try stored(io, "decoded_tiled"))
    }
    check("upsampler x2: upsample_video", 1e-4) {
        let f = try file("upsampler_x2"), io = try file("upsampler_io")
        let (up, _) = try LatentUpsampler.load(from: f, config: try UpsamplerConfig(file: f), device: cuda)
        let statistics = try PerChannelStatistics(file: try file("vae_a"), channels: 16, device: cuda)
        return (try up.upsampleVideo(try gpu(io, "latent"), statistics: statistics), try stored(io, "x2.upsample_video"))
    }
}
