import LTX
import NodeKit
import ReelflowEngine
import ReelflowGraph
import Tensors

/// Appends an encoded reference video as clean in-context tokens (the IC-LoRA input), with
/// positions scaled by the downscale factor, and optionally limits how strongly the
/// generated tokens attend to it (LoRA-Edit's mask on the reference's attention).
enum ConditionByReferenceLatentNode {
    static let conditioning = In<Conditioning>.port("conditioning", PortTypes.conditioning, doc: "The chain to add to.")
    static let latent = In<Tensor>.port("latent", PortTypes.latent, doc: "The encoded reference video.")
    static let strength = In<Double>.float("strength", min: 0, max: 1, default: 1, doc: "1 keeps the reference tokens clean.")
    static let factor = In<Int>.int(
        "downscale_factor", min: 1, default: 1,
        doc: "How much smaller the reference is than the generated video; connect LoRAStack's reference_downscale_factor.")
    static let attentionStrength = In<Double>.float(
        "attention_strength", min: 0, max: 1, default: 1,
        doc: "How strongly generated and reference tokens attend to each other; 1 with no mask is full attention (the fast path).")
    static let attentionMask = In.optional(In<Frames>.port(
        "attention_mask", PortTypes.video,
        doc: "A mask video (white = attend), brought to the reference's latent grid as ltx-pipelines does and multiplied by attention_strength."))
    static let out = Out<Conditioning>("conditioning", PortTypes.conditioning, doc: "The chain with this item appended.")

    static let type = NodeType(
        schema: NodeSchema(
            name: "ConditionByReferenceLatent", version: 1,
            doc: "Appends a reference video's tokens for an IC-LoRA (ltx-core's VideoConditionByReferenceLatent, with the attention-strength wrapper).",
            inputs: [conditioning.spec, latent.spec, strength.spec, factor.spec, attentionStrength.spec, attentionMask.spec],
            outputs: [out.spec])
    ) { inputs, _ in
        let reference = try inputs[latent]
        let w = try inputs[attentionStrength]
        var attention: AttentionStrength? = w < 1 ? .scalar(w) : nil
        if let mask = try inputs[attentionMask] {
            let s = reference.shape
            let weights = try LatentMask.downsample(mask.mask(), frames: s[2], height: s[3], width: s[4])
            attention = .perToken(weights * Float(w))
        }
        let item = ConditionByReferenceLatent(latent: reference, downscaleFactor: try inputs[factor], strength: try inputs[strength], attention: attention)
        return .of(out.value(try inputs[conditioning].appending(.reference(item))))
    }
}
