import LTX
import NodeKit
import ReelflowEngine
import ReelflowGraph
import Tensors

/// Decodes a latent to frames with the LTX video VAE, optionally tiled so memory stays
/// bounded for long, large videos.
enum VAEDecodeNode {
    static let vae = In<VAEHandle>.port("vae", PortTypes.vae, doc: "The VAE (from LoadCheckpoint).")
    static let latent = In<Tensor>.port("latent", PortTypes.latent, doc: "The latent to decode.")
    static let fps = In<Double>.float("fps", min: 0.001, max: 1000, default: 24, doc: "The frame rate the video carries (Save writes MP4s at it).")
    static let seed = In.optional(In<Int>.int("seed", min: 0, doc: "Seed of the decode noise, for VAEs with timestep conditioning."))
    static let noiseFrom = In.optional(In<NoiseStream>.port("noise_from", PortTypes.generator, doc: "Continue a sampler's generator for the decode noise (as ltx-pipelines does)."))
    static let video = Out<Frames>("video", PortTypes.video, doc: "[1, 3, F, H, W] RGB, about [-1, 1], in the VAE's dtype (Save converts to 8 bits in that dtype, as ltx-core does).")

    static let type = NodeType(
        schema: NodeSchema(
            name: "VAEDecode", version: 1, doc: "Decodes a latent with the LTX video VAE; optionally tiled (ltx-pipelines' CLI uses 512 px / 64 overlap, 64 / 24 frames).",
            inputs: [vae.spec, latent.spec, fps.spec, seed.spec, noiseFrom.spec] + TilingInputs.specs, outputs: [video.spec])
    ) { inputs, context in
        let handle = try inputs[vae]
        let decoder = try handle.checkpoint.decoder()
        var noise = VAENoise.none
        if try handle.checkpoint.vae().timestepConditioning {
            if let from = try inputs[noiseFrom] {
                noise = .generator(from.generator())
            } else if let s = try inputs[seed] {
                noise = .generator(.cuda(seed: UInt64(s)))
            } else {
                throw NodeInputError(input: "seed", message: "this VAE adds decode noise (timestep conditioning); give seed or noise_from")
            }
        }
        let x = try inputs[latent].to(dtype: handle.checkpoint.dtype).to(device: handle.checkpoint.device)
        let pixels: Tensor
        if let tiling = try TilingInputs.tiling(inputs) {
            var chunks: [Tensor] = []
            try decoder.decodeTiled(x, tiling: tiling, noise: &noise) { chunk in
                chunks.append(chunk)
                context.progress.report(chunks.reduce(0) { $0 + $1.shape[2] }, of: (x.shape[2] - 1) * 8 + 1, "frames")
            }
            pixels = chunks.count == 1 ? chunks[0] : Tensor.concatenated(chunks, axis: 2)
        } else {
            pixels = try decoder.decode(x, noise: &noise)
        }
        // Frames are media: they go back to host memory here.
        return .of(video.value(Frames(pixels: pixels.to(device: .cpu), fps: try inputs[fps])))
    }
}
