import NodeKit
import ReelflowEngine
import ReelflowGraph
import Tensors

/// Reads one tensor from a safetensors file: injected noise, a latent from another tool.
enum LoadTensorsNode {
    static let path = In<String>.path("path", mustExist: true, doc: "The safetensors file, relative to the graph.")
    static let name = In.optional(In<String>.string("name", doc: "The tensor's name; may be left out when the file holds one tensor."))
    static let tensor = Out<Tensor>("tensor", PortTypes.tensor, doc: "The tensor in its stored dtype.")

    static let type = NodeType(
        schema: NodeSchema(
            name: "LoadTensors", version: 1, doc: "Reads a tensor from a safetensors file (noise to inject, a latent made elsewhere).",
            inputs: [path.spec, name.spec], outputs: [tensor.spec])
    ) { inputs, _ in
        let file = try SafetensorsFile(path: try inputs[path])
        let stored: StoredTensor
        if let wanted = try inputs[name] {
            guard let found = file[wanted] else {
                throw NodeInputError(input: "name", message: "\(file.path) has no tensor \"\(wanted)\"; it has \(file.tensors.map(\.name).prefix(10).joined(separator: ", "))")
            }
            stored = found
        } else {
            guard file.tensors.count == 1 else {
                throw NodeInputError(input: "name", message: "\(file.path) holds \(file.tensors.count) tensors; say which: \(file.tensors.map(\.name).prefix(10).joined(separator: ", "))")
            }
            stored = file.tensors[0]
        }
        let dtype: DType = stored.dtype == .bf16 ? .bf16 : .f32
        return .of(tensor.value(stored.tensor(dtype: dtype)))
    }
}
