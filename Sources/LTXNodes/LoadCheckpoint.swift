import LTX
import NodeKit
import ReelflowEngine
import ReelflowGraph

/// Opens an LTX checkpoint (ComfyUI-style keys, config in the metadata): the transformer
/// under `model.diffusion_model.`, the VAE under `vae.`. The file is memory-mapped; weights
/// are read when a node first needs them and stay in memory for the process.
enum LoadCheckpointNode {
    static let path = In<String>.path("path", mustExist: true, doc: "The checkpoint (.safetensors), relative to the graph.")
    static let dtype = In<String>.choice(
        "dtype", LTXNodes.dtypes, default: "float32",
        doc: "Weights and compute dtype: float32 (tight parity with ltx-core) or bfloat16 (what ltx-pipelines runs).")
    static let model = Out<ModelHandle>("model", PortTypes.model, doc: "The video transformer (no LoRA yet).")
    static let vae = Out<VAEHandle>("vae", PortTypes.vae, doc: "The video VAE (encoder, decoder, per-channel statistics).")

    static let type = NodeType(
        schema: NodeSchema(
            name: "LoadCheckpoint", version: 1,
            doc: "Opens an LTX-2 / LTX-2.3 checkpoint lazily and reads its transformer and VAE configs.",
            inputs: [path.spec, dtype.spec], outputs: [model.spec, vae.spec], persistence: .memoryOnly,
            settings: LTXNodes.deviceSettings)
    ) { inputs, context in
        let checkpoint = try Checkpoint(
            path: try inputs[path], dtype: LTXNodes.dtype(try inputs[dtype]), device: try LTXNodes.device(context))
        return .of(model.value(ModelHandle(checkpoint: checkpoint)), vae.value(VAEHandle(checkpoint: checkpoint)))
    }
}
