import LTX
import NodeKit
import ReelflowEngine
import ReelflowGraph
import Tensors

/// Replaces the generated tokens at a latent frame with an encoded image (the edited first
/// frame at index 0); their denoise mask becomes 1 − strength.
enum ConditionByLatentIndexNode {
    static let conditioning = In<Conditioning>.port("conditioning", PortTypes.conditioning, doc: "The chain to add to.")
    static let latent = In<Tensor>.port("latent", PortTypes.latent, doc: "The encoded image [1, C, 1, H', W'] at the stage's size.")
    static let index = In<Int>.int("latent_index", min: 0, default: 0, doc: "The latent frame to replace (0 is the first pixel frame).")
    static let strength = In<Double>.float("strength", min: 0, max: 1, default: 1, doc: "1 keeps the frame exactly; lower lets the sampler change it.")
    static let out = Out<Conditioning>("conditioning", PortTypes.conditioning, doc: "The chain with this item appended.")

    static let type = NodeType(
        schema: NodeSchema(
            name: "ConditionByLatentIndex", version: 1, doc: "Pins an encoded image at a latent frame (ltx-core's VideoConditionByLatentIndex).",
            inputs: [conditioning.spec, latent.spec, index.spec, strength.spec], outputs: [out.spec])
    ) { inputs, _ in
        let item = ConditionByLatentIndex(latent: try inputs[latent], strength: try inputs[strength], latentIndex: try inputs[index])
        return .of(out.value(try inputs[conditioning].appending(.latentIndex(item))))
    }
}
