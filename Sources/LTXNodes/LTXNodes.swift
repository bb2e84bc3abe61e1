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

    /// The run settings the model loaders read: `device` (`reelflow run --device cuda`).
    /// Nodes downstream of a loader compute where its weights are, and their keys follow the
    /// loader's through the handle.
    static let deviceSettings = ["device"]

    /// The `device` run setting (cpu when not given). The caller (the CLI) sets up the
    /// device's backend before the run; a device with none is a clear error here.
    static func device(_ context: NodeContext) throws -> Device {
        guard let text = context.settings["device"] else { return .cpu }
        guard let device = Device(parsing: text) else {
            throw LTXNodeError("run setting device: \"\(text)\" is not a device (cpu, cuda, cuda:N)")
        }
        do { _ = try BackendRegistry.resolve(device) } catch { throw LTXNodeError("run setting device: \(error)") }
        return device
    }
}
