import LTX
import NodeKit
import ReelflowEngine
import ReelflowGraph

/// Reads a precomputed prompt context (the text encoder's output, e.g. the Sync-LoRA's
/// constant prompt `3d1t`; docs/user-guide.md says how to make one) and starts a
/// conditioning chain with it.
enum LoadConditioningNode {
    static let path = In<String>.path("path", mustExist: true, doc: "A safetensors file with the context [S, W] or [1, S, W] (named video_context, context or video_encoding, or its only tensor).")
    static let model = In<ModelHandle>.port("model", PortTypes.model, doc: "The model the context is for (its width is checked).")
    static let conditioning = Out<Conditioning>("conditioning", PortTypes.conditioning, doc: "The context, with no conditioning items yet.")

    static let type = NodeType(
        schema: NodeSchema(
            name: "LoadConditioning", version: 1, doc: "Loads the precomputed prompt context for the transformer's cross-attention.",
            inputs: [path.spec, model.spec], outputs: [conditioning.spec])
    ) { inputs, _ in
        let handle = try inputs[model]
        let context = try PromptContext.load(path: try inputs[path], config: handle.config, dtype: handle.dtype)
        return .of(conditioning.value(Conditioning(context: context)))
    }
}
