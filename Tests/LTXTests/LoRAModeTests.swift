import Foundation
import LTX
import ReelflowTestSupport
import Testing
import Tensors
import TensorsTestSupport

/// LoRAs on the transformer in both modes: fused into bf16 base weights as ltx-core does
/// (the fuse itself is checked against ltx-core in TensorsTests), or unfused beside the
/// base linears and switchable between stages without touching the base weights.
@Suite struct LoRAModeTests {
    /// A rank-4 LoRA on every attn1.to_q and to_v and on block 1's ff.net.0.proj, in
    /// ltx-core's lora_A / lora_B format.
    static func writeLoRA(in dir: URL) throws -> LoRAStack {
        var rng = SeededRandom(seed: 8)
        var writer = SafetensorsWriter(metadata: [("reference_downscale_factor", "1")])
        let targets = [("transformer_blocks.0.attn1.to_q", 16, 16), ("transformer_blocks.1.attn1.to_v", 16, 16),
                       ("transformer_blocks.1.ff.net.0.proj", 64, 16)]
        for (module, out, inp) in targets {
            try writer.add("diffusion_model.\(module).lora_A.weight", rng.tensor([4, inp]) * 0.5, as: .bf16)
            try writer.add("diffusion_model.\(module).lora_B.weight", rng.tensor([out, 4]) * 0.5, as: .bf16)
        }
        let path = try writer.write(to: dir.appendingPathComponent("lora.safetensors")).path
        return LoRAStack([.init(try LoRAAdapter(file: try SafetensorsFile(path: path)), strength: 0.8)])
    }

    static func input(_ f: SafetensorsFile) throws -> VideoTransformer.Input {
        try TransformerParityTests.input(f)
    }

    @Test func unfusedEqualsExactFloat32FusionAndSwitchesBack() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ltx-lora-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let stack = try Self.writeLoRA(in: dir)
        let (base, f) = try TransformerParityTests.load("ltx23")
        let input = try Self.input(f)
        let plain = base.velocity(input)
        let unfused = VideoTransformer(
            config: base.config, weights: try base.weights.withUnfusedLoRAs(stack, config: base.config, dtype: .f32))
        let withLoRA = unfused.velocity(input)
        #expect(TransformerParityTests.relativeError(withLoRA, plain) > 1e-3, "the LoRA changes the output")
        // Reference: the same updates fused exactly in float32, W + 0.8 · B·A.
        var fused = base.weights
        let bound = try stack.bind(to: TransformerWeights.expectedShapes(base.config).keys)
        func fuse(_ l: inout LinearWeights, _ key: String) {
            for c in bound.contributions[key] ?? [] {
                l.weight = l.weight + Tensor.matmul(c.pair.up.tensor(dtype: .f32), c.pair.down.tensor(dtype: .f32)) * c.scale
            }
        }
        fuse(&fused.blocks[0].selfAttention.toQ, "transformer_blocks.0.attn1.to_q.weight")
        fuse(&fused.blocks[1].selfAttention.toV, "transformer_blocks.1.attn1.to_v.weight")
        fuse(&fused.blocks[1].feedForwardIn, "transformer_blocks.1.ff.net.0.proj.weight")
        let reference = VideoTransformer(config: base.config, weights: fused).velocity(input)
        #expect(TransformerParityTests.relativeError(withLoRA, reference) <= 1e-5)
        // Stage switch: no LoRA again gives the base model's output exactly.
        let switched = VideoTransformer(
            config: base.config, weights: try unfused.weights.withUnfusedLoRAs(nil, config: base.config, dtype: .f32))
        #expect(switched.velocity(input) == plain)
    }

    @Test func fusedLoadUsesLTXCoresFuse() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ltx-fuse-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let stack = try Self.writeLoRA(in: dir)
        // A bf16 copy of the tiny checkpoint (ltx-core fuses into bf16 weights only).
        let source = try SafetensorsFile(path: try TransformerParityTests.url("transformer_ltx23").path)
        var writer = SafetensorsWriter(metadata: source.metadata)
        for t in source.tensors { try writer.add(t.name, t.tensor(), as: .bf16) }
        let checkpoint = try SafetensorsFile(path: try writer.write(to: dir.appendingPathComponent("bf16.safetensors")).path)
        let config = try TransformerConfig(file: checkpoint)
        let (weights, _) = try TransformerWeights.load(from: checkpoint, config: config, dtype: .bf16, fusing: stack)
        let mapped = try LTXComponent.transformer.keyMap.apply(to: checkpoint)
        let bound = try stack.bind(to: TransformerWeights.expectedShapes(config).keys)
        let key = "transformer_blocks.0.attn1.to_q.weight"
        #expect(weights.blocks[0].selfAttention.toQ.weight.to(dtype: .f32) == (try bound.fusedWeight(for: key, base: try mapped.tensor(key))))
        #expect(weights.blocks[0].selfAttention.toK.weight == (try mapped.tensor("transformer_blocks.0.attn1.to_k.weight").tensor()))
        #expect(weights.blocks[0].selfAttention.toQ.weight != (try mapped.tensor(key).tensor()))
    }
}
