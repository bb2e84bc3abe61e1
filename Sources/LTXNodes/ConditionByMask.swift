import LTX
import NodeKit
import ReelflowEngine
import ReelflowGraph
import Tensors

/// Keeps a region of a source latent (white in the mask) while the rest is regenerated
/// (LoRA-Edit's masks that keep the background; Reelflow's item on ltx-core's rules).
enum ConditionByMaskNode {
    static let conditioning = In<Conditioning>.port("conditioning", PortTypes.conditioning, doc: "The chain to add to.")
    static let source = In<Tensor>.port("source", PortTypes.latent, doc: "The latent to keep from, on the sampler's grid (e.g. the encoded reference at the stage's size).")
    static let maskVideo = In.optional(In<Frames>.port("mask", PortTypes.video, doc: "A mask video, white = keep."))
    static let maskImage = In.optional(In<Frames>.port("mask_image", PortTypes.image, doc: "A mask image used for every frame, white = keep."))
    static let strength = In<Double>.float("strength", min: 0, max: 1, default: 1, doc: "1 keeps the white region exactly.")
    static let out = Out<Conditioning>("conditioning", PortTypes.conditioning, doc: "The chain with this item appended.")

    static let type = NodeType(
        schema: NodeSchema(
            name: "ConditionByMask", version: 1, doc: "Keeps the masked region of a source latent; the sampler regenerates the rest.",
            inputs: [conditioning.spec, source.spec, maskVideo.spec, maskImage.spec, strength.spec], outputs: [out.spec])
    ) { inputs, _ in
        let latent = try inputs[source]
        let s = latent.shape
        let keep: Tensor
        switch (try inputs[maskVideo], try inputs[maskImage]) {
        case (let video?, nil):
            keep = try LatentMask.downsample(video.mask(), frames: s[2], height: s[3], width: s[4])
        case (nil, let image?):
            let perFrame = try LatentMask.downsample(image.mask(), frames: 1, height: s[3], width: s[4])
            keep = Tensor.concatenated(Array(repeating: perFrame, count: s[2]), axis: 1)
        default:
            throw NodeInputError(input: "mask", message: "connect exactly one of mask and mask_image")
        }
        let item = ConditionByMask(source: latent, keep: keep, strength: try inputs[strength])
        return .of(out.value(try inputs[conditioning].appending(.mask(item))))
    }
}
