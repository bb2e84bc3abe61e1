import Foundation
import NodeKit
import OrderedCollections
import ReelflowEngine
import ReelflowGraph
import Tensors

/// Adds LoRAs to a model, fused into the base weights (ltx-core's `apply_loras`) or applied
/// unfused as extra low-rank products (switchable per stage without touching the base).
enum LoRAStackNode {
    static let model = In<ModelHandle>.port("model", PortTypes.model, doc: "The model to add LoRAs to (it may already have some).")
    static let loras = In.records(
        "loras",
        fields: [
            InputSpec("path", .path(mustExist: true), doc: "A LoRA file (.safetensors), relative to the graph."),
            InputSpec("strength", .float(min: -10, max: 10), default: .float(1), doc: "Its strength."),
        ],
        doc: "The LoRAs, in order: each {path, strength}, or {preset: NAME} for the LoRAs of a LoRAStack preset under nodes/.")
    static let mode = In<String>.choice(
        "mode", ["unfused", "fused"], default: "unfused",
        doc: "unfused keeps the base weights shared (cheap to switch between stages); fused adds strength·B·A into them, as ltx-core does.")
    static let out = Out<ModelHandle>("model", PortTypes.model, doc: "The model with the LoRAs.")
    static let factor = Out<Int>(
        "reference_downscale_factor", .int(min: 1),
        doc: "The IC-LoRAs' reference_downscale_factor metadata (1 when none says otherwise).")

    static let type = NodeType(
        schema: NodeSchema(
            name: "LoRAStack", version: 1,
            doc: "Stacks LoRAs (the Sync-LoRA, the distilled LoRA, ...) on a model and reports the IC-LoRAs' reference downscale factor.",
            inputs: [model.spec, loras.spec, mode.spec], outputs: [out.spec, factor.spec], persistence: .memoryOnly)
    ) { inputs, _ in
        var handle = try inputs[model]
        let fused = try inputs[mode] == "fused"
        if !handle.loras.isEmpty && handle.fused != fused {
            throw NodeInputError(input: "mode", message: "the model already has \(handle.fused ? "fused" : "unfused") LoRAs; one stack cannot mix modes")
        }
        var factors: [(String, Int)] = []
        for (index, entry) in try inputs[loras].enumerated() {
            guard let path = entry["path"] as? String else { throw NodeInputError(input: "loras[\(index)].path", message: "no path given") }
            let strength = (entry["strength"] as? Double) ?? (entry["strength"] as? Int).map(Double.init) ?? 1
            let adapter = try LoRAAdapter(path: path)
            if let f = try adapter.file.referenceDownscaleFactor() { factors.append((path, f)) }
            handle.loras.append(LoRAUse(adapter: adapter, strength: strength))
        }
        handle.fused = fused
        // ltx-pipelines: several IC-LoRAs must agree; 1 is neutral.
        let distinct = Set(factors.map(\.1).filter { $0 != 1 })
        guard distinct.count <= 1 else {
            throw NodeInputError(
                input: "loras",
                message: "the LoRAs disagree on reference_downscale_factor: " + factors.map { "\(URL(fileURLWithPath: $0.0).lastPathComponent) says \($0.1)" }.joined(separator: ", "))
        }
        return .of(out.value(handle), factor.value(distinct.first ?? 1))
    }
}
