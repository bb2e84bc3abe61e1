import NodeKit
import ReelflowEngine
import Tensors

/// The LTX node types (one file each), on the LTX model target.
public enum LTXNodes {
    public static let types: [NodeType] = [
        LoadCheckpointNode.type, LoadUpsamplerNode.type, LoRAStackNode.type, StageSizesNode.type,
        LoadConditioningNode.type, LoadTensorsNode.type, VAEEncodeNode.type,
        ConditionByLatentIndexNode.type, ConditionByReferenceLatentNode.type, ConditionByKeyframeNode.type,
        ConditionByMaskNode.type, SamplerNode.type, UpscaleNode.type, VAEDecodeNode.type,
    ]

    public static func register(into registry: inout NodeRegistry) {
        TensorFileCodec.register(into: &registry)
        registry.register(codec: Conditioning.codec, for: "CONDITIONING")
        registry.register(codec: NoiseStream.codec, for: "GENERATOR")
        for type in types { registry.register(type) }
    }

    /// The `dtype` input's choices.
    static let dtypes = ["float32", "bfloat16"]
    static func dtype(_ name: String) -> DType { name == "bfloat16" ? .bf16 : .f32 }
}
