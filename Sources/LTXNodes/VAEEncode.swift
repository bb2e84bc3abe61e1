import LTX
import NodeKit
import ReelflowEngine
import ReelflowGraph
import Tensors

/// Encodes a video or an image to a normalised LTX latent (ltx-core's encoder; frames beyond
/// the longest 8k+1 prefix are dropped, as there).
enum VAEEncodeNode {
    static let vae = In<VAEHandle>.port("vae", PortTypes.vae, doc: "The VAE (from LoadCheckpoint).")
    static let video = In.optional(In<Frames>.port("video", PortTypes.video, doc: "A video to encode."))
    static let image = In.optional(In<Frames>.port("image", PortTypes.image, doc: "An image to encode (one latent frame)."))
    static let latent = Out<Tensor>("latent", PortTypes.latent, doc: "[1, C, F', H/32, W/32] in the VAE's dtype.")

    static let type = NodeType(
        schema: NodeSchema(
            name: "VAEEncode", version: 1, doc: "Encodes a video or an image with the LTX video VAE; optionally tiled.",
            inputs: [vae.spec, video.spec, image.spec] + TilingInputs.specs, outputs: [latent.spec])
    ) { inputs, _ in
        let handle = try inputs[vae]
        let frames: Frames
        switch (try inputs[video], try inputs[image]) {
        case (let v?, nil): frames = v
        case (nil, let i?): frames = i
        default: throw NodeInputError(input: "video", message: "connect exactly one of video and image")
        }
        let encoder = try handle.checkpoint.encoder()
        let pixels = frames.pixels.to(dtype: handle.checkpoint.dtype).to(device: handle.checkpoint.device)
        let encoded = try TilingInputs.tiling(inputs).map { try encoder.encodeTiled(pixels, tiling: $0) } ?? encoder.encode(pixels)
        return .of(latent.value(encoded))
    }
}
