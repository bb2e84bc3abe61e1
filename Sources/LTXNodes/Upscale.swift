import LTX
import NodeKit
import ReelflowEngine
import ReelflowGraph
import Tensors

/// The x2 latent upscale between the stages: un-normalise with the VAE's per-channel
/// statistics, run the upsampler, normalise again (ltx-core's `upsample_video`).
enum UpscaleNode {
    static let latent = In<Tensor>.port("latent", PortTypes.latent, doc: "The stage-1 latent.")
    static let upsampler = In<UpsamplerHandle>.port("upsampler", PortTypes.upsampler, doc: "From LoadUpsampler.")
    static let vae = In<VAEHandle>.port("vae", PortTypes.vae, doc: "The VAE whose statistics the latent is normalised with.")
    static let out = Out<Tensor>("latent", PortTypes.latent, doc: "The upscaled latent (twice the height and width).")

    static let type = NodeType(
        schema: NodeSchema(
            name: "Upscale", version: 1, doc: "Upscales a latent x2 with the LTX latent upsampler.",
            inputs: [latent.spec, upsampler.spec, vae.spec], outputs: [out.spec])
    ) { inputs, _ in
        let statistics = try inputs[vae].checkpoint.statistics()
        let up = try inputs[upsampler].upsampler
        let x = try inputs[latent].to(device: try inputs[vae].checkpoint.device)
        return .of(out.value(try up.upsampleVideo(x, statistics: statistics)))
    }
}
