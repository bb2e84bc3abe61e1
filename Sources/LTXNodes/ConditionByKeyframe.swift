import LTX
import NodeKit
import ReelflowEngine
import ReelflowGraph
import Tensors

/// Appends an encoded frame as a guide at a pixel frame index (LoRA-Edit's later edited
/// frames; ltx-core's VideoConditionByKeyframeIndex).
enum ConditionByKeyframeNode {
    static let conditioning = In<Conditioning>.port("conditioning", PortTypes.conditioning, doc: "The chain to add to.")
    static let latent = In<Tensor>.port("latent", PortTypes.latent, doc: "The encoded frame [1, C, 1, H', W'] at the stage's size.")
    static let frame = In<Int>.int("frame", min: 0, doc: "The pixel frame it shows.")
    static let strength = In<Double>.float("strength", min: 0, max: 1, default: 1, doc: "How firmly the guide holds.")
    static let out = Out<Conditioning>("conditioning", PortTypes.conditioning, doc: "The chain with this item appended.")

    static let type = NodeType(
        schema: NodeSchema(
            name: "ConditionByKeyframe", version: 1, doc: "Adds an edited frame later in the clip as a keyframe guide.",
            inputs: [conditioning.spec, latent.spec, frame.spec, strength.spec], outputs: [out.spec])
    ) { inputs, _ in
        let item = ConditionByKeyframe(latent: try inputs[latent], pixelFrame: try inputs[frame], strength: try inputs[strength])
        return .of(out.value(try inputs[conditioning].appending(.keyframe(item))))
    }
}
