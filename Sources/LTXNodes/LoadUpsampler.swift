import LTX
import NodeKit
import ReelflowEngine
import ReelflowGraph
import Tensors

/// Loads a latent upsampler file (ltx-2.3-spatial-upscaler-x2-*.safetensors): its flat
/// `config` metadata and weights.
enum LoadUpsamplerNode {
    static let path = In<String>.path("path", mustExist: true, doc: "The upsampler (.safetensors), relative to the graph.")
    static let dtype = In<String>.choice("dtype", LTXNodes.dtypes, default: "float32", doc: "Weights and compute dtype.")
    static let upsampler = Out<UpsamplerHandle>("upsampler", PortTypes.upsampler, doc: "The latent upsampler.")

    static let type = NodeType(
        schema: NodeSchema(
            name: "LoadUpsampler", version: 1, doc: "Loads the spatial x2 latent upsampler (512- or 1024-channel, or the rational resampler).",
            inputs: [path.spec, dtype.spec], outputs: [upsampler.spec], persistence: .memoryOnly,
            settings: LTXNodes.deviceSettings)
    ) { inputs, context in
        let file = try SafetensorsFile(path: try inputs[path])
        let device = try LTXNodes.device(context)
        let (loaded, _) = try LatentUpsampler.load(
            from: file, config: try UpsamplerConfig(file: file), dtype: LTXNodes.dtype(try inputs[dtype]), device: device)
        return .of(upsampler.value(UpsamplerHandle(upsampler: loaded, path: file.path, device: device)))
    }
}
