import Foundation
import Testing
@testable import Tensors

/// Fixtures written by tools/reference/make_lora_fixtures.py with ltx-core 1.0.0's `apply_loras`.
enum LoRAFixtures {
    static func path(_ name: String) throws -> String {
        let dir = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return dir.appendingPathComponent("lora").appendingPathComponent(name).path
    }

    static func transformerBase() throws -> MappedWeights {
        try LTXComponent.transformer.keyMap.apply(to: SafetensorsFile(path: path("base.safetensors")))
    }

    static func stack(_ loras: [(String, Float)]) throws -> LoRAStack {
        LoRAStack(try loras.map { name, strength in LoRAStack.Entry(try LoRAAdapter(path: path(name)), strength: strength) })
    }
}

@Suite struct LoRAFuseTests {
    static let cases: [(String, [(String, Float)])] = [
        ("single", [("lora_a.safetensors", 0.8)]),
        ("stack", [("lora_a.safetensors", 0.8), ("lora_b.safetensors", -0.5), ("lora_c_f32.safetensors", 1.3), ("lora_d_f16.safetensors", 2.0)]),
        ("kohya", [("lora_kohya.safetensors", 0.7)]),
    ]

    /// Every fused weight equals ltx-core's bit for bit, including keys without updates.
    /// The "stack" case pins the sum rule: summing the bf16 deltas with a rounding after each
    /// add, instead of once, changes 42 of the 256 values of
    /// transformer_blocks.0.attn1.to_q.weight (checked with torch on these fixtures).
    @Test(arguments: cases.map(\.0))
    func fusedWeightsEqualLtxCore(caseName: String) throws {
        let loras = Self.cases.first { $0.0 == caseName }!.1
        let base = try LoRAFixtures.transformerBase()
        let bound = try LoRAFixtures.stack(loras).bind(to: base.keys)
        let reference = try SafetensorsFile(path: LoRAFixtures.path("fused_\(caseName).safetensors"))
        #expect(Set(reference.tensors.map(\.name)) == Set(base.keys))
        var updated = 0
        for expected in reference.tensors {
            let stored = try base.tensor(expected.name)
            let ours = try bound.fusedWeight(for: expected.name, base: stored)
            #expect(ours.shape == expected.shape)
            let want = expected.floatTensor().hostScalars()
            let differing = zip(ours.hostScalars(), want).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differing == 0, "\(expected.name): \(differing) of \(want.count) values differ")
            if want != stored.floatTensor().hostScalars() { updated += 1 }
        }
        #expect(updated == bound.targetKeys.count)
        #expect(updated > 0)
    }

    /// Sanity mutation: the comparison above notices a small change of strength, and
    /// summing several deltas with bf16 rounding after each add (instead of once) differs.
    @Test func comparisonIsSensitive() throws {
        let base = try LoRAFixtures.transformerBase()
        let reference = try SafetensorsFile(path: LoRAFixtures.path("fused_single.safetensors"))
        let key = "transformer_blocks.0.attn1.to_q.weight"
        let bound = try LoRAFixtures.stack([("lora_a.safetensors", 0.81)]).bind(to: base.keys)
        let ours = try bound.fusedWeight(for: key, base: base.tensor(key))
        #expect(try ours.hostScalars() != reference.tensor(key).floatTensor().hostScalars())
        #expect(try bound.fusedBFloat16Bits(for: key, base: base.tensor(key)) == ours.hostScalars().map { BFloat16.bits(from: $0) })
    }

    @Test func detectsFormatsRankAndMetadata() throws {
        let a = try LoRAAdapter(path: LoRAFixtures.path("lora_a.safetensors"))
        #expect(a.format == .loraAB(prefixed: true))
        #expect(a.pairs.count == 4 && a.rankRange == 4...4 && a.ignoredAlphaKeys.count == 4)
        #expect(a.pairs[0].module == "transformer_blocks.0.attn1.to_k" && a.pairs[0].alpha == nil)
        #expect(a.pairs[0].scale(strength: 0.8) == 0.8)
        let b = try LoRAAdapter(path: LoRAFixtures.path("lora_b.safetensors"))
        #expect(b.format == .loraAB(prefixed: false) && b.rankRange == 8...8)
        #expect(try b.file.referenceDownscaleFactor() == 2)
        let k = try LoRAAdapter(path: LoRAFixtures.path("lora_kohya.safetensors"))
        #expect(k.format == .kohya && k.pairs.allSatisfy { $0.alpha == 2 })
        #expect(k.pairs[0].scale(strength: 0.7) == Float(0.35))
        #expect(k.pairs[0].module == "lora_unet_transformer_blocks_1_attn1_to_k")
    }

    @Test func allZeroStrengthsLeaveWeightsAlone() throws {
        let base = try LoRAFixtures.transformerBase()
        let bound = try LoRAFixtures.stack([("lora_a.safetensors", 0), ("lora_b.safetensors", 0)]).bind(to: base.keys)
        #expect(bound.targetKeys.isEmpty)
        let key = "transformer_blocks.0.attn1.to_q.weight"
        #expect(try bound.fusedWeight(for: key, base: base.tensor(key)).hostScalars() == base.tensor(key).floatTensor().hostScalars())
    }
}

@Suite struct LoRAErrorTests {
    private func writeLoRA(_ dir: TestDirectory, _ name: String, _ tensors: [(String, Tensor, DType)]) throws -> String {
        var writer = SafetensorsWriter()
        for (key, t, dtype) in tensors { try writer.add(key, t, as: dtype) }
        let url = dir.url.appendingPathComponent(name)
        try writer.write(to: url)
        return url.path
    }

    @Test func modulesMatchingNoWeightAreReported() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let path = try writeLoRA(dir, "wrong-prefix.safetensors", [
            ("model.diffusion_model.transformer_blocks.0.attn1.to_q.lora_A.weight", Tensor(zeros: [2, 16]), .bf16),
            ("model.diffusion_model.transformer_blocks.0.attn1.to_q.lora_B.weight", Tensor(zeros: [16, 2]), .bf16),
        ])
        let base = try LoRAFixtures.transformerBase()
        let error = weightError { _ = try LoRAStack([.init(try LoRAAdapter(path: path), strength: 1)]).bind(to: base.keys) }
        #expect(error?.description == "\(path): 1 of 1 LoRA modules match no base weight, e.g. "
            + "model.transformer_blocks.0.attn1.to_q (keys under model.diffusion_model. become model. after "
            + "ltx-core's renaming and match nothing)")
    }

    @Test func badLoRAFilesNameTheKey() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let lonely = try writeLoRA(dir, "lonely.safetensors", [("x.lora_A.weight", Tensor(zeros: [2, 4]), .bf16)])
        #expect(weightError { _ = try LoRAAdapter(path: lonely) }?.description
            == "\(lonely): tensor 'x.lora_A.weight': has no partner: a LoRA module needs both its down (A) and up (B) factor")
        let stranger = try writeLoRA(dir, "stranger.safetensors", [("x.weight", Tensor(zeros: [2]), .f32)])
        #expect(weightError { _ = try LoRAAdapter(path: stranger) }?.kind == .loraMismatch)
        let ranks = try writeLoRA(dir, "ranks.safetensors", [
            ("x.lora_A.weight", Tensor(zeros: [2, 4]), .bf16), ("x.lora_B.weight", Tensor(zeros: [4, 3]), .bf16),
        ])
        #expect(weightError { _ = try LoRAAdapter(path: ranks) }?.description
            == "\(ranks): tensor 'x.lora_B.weight': has shape [4, 3], whose rank does not match [2, 4] of its partner")
        let mixed = try writeLoRA(dir, "mixed.safetensors", [
            ("x.lora_A.weight", Tensor(zeros: [2, 4]), .bf16), ("x.lora_B.weight", Tensor(zeros: [4, 2]), .bf16),
            ("y.lora_down.weight", Tensor(zeros: [2, 4]), .bf16), ("y.lora_up.weight", Tensor(zeros: [4, 2]), .bf16),
        ])
        #expect(weightError { _ = try LoRAAdapter(path: mixed) }?.description == "\(mixed): mixes lora_A/lora_B and lora_down/lora_up keys")
    }

    @Test func fusingIntoAFloat16WeightIsRefusedAndFloat32FusesExactly() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let base16 = try writeLoRA(dir, "base16.safetensors", [("t.weight", Tensor(zeros: [4, 4]), .f16)])
        let w = Tensor(shape: [4, 4], scalars: (0..<16).map { Float($0) * 0.25 })
        let base32 = try writeLoRA(dir, "base32.safetensors", [("t.weight", w, .f32)])
        let a = Tensor(shape: [1, 4], scalars: [1, 2, 3, 4]), b = Tensor(shape: [4, 1], scalars: [0.5, -1, 2, 0])
        let loraPath = try writeLoRA(dir, "l.safetensors", [("t.lora_A.weight", a, .f32), ("t.lora_B.weight", b, .f32)])
        let bound = try LoRAStack([.init(try LoRAAdapter(path: loraPath), strength: 2)]).bind(to: ["t.weight"])
        #expect(weightError { _ = try bound.fusedWeight(for: "t.weight", base: try SafetensorsFile(path: base16).tensor("t.weight")) }?.description
            == "\(base16): tensor 't.weight': is F16; LoRAs fuse only into BF16, F8_E4M3 (as in ltx-core) or F32 weights "
            + "(use unfused LoRA mode for this checkpoint)")
        let fused = try bound.fusedWeight(for: "t.weight", base: try SafetensorsFile(path: base32).tensor("t.weight"))
        let (bs, As) = (b.hostScalars(), a.hostScalars())
        let expected: [Float] = (0..<16).map { (i: Int) -> Float in
            let delta: Float = 2 * bs[i / 4] * As[i % 4]
            return Float(i) * 0.25 + delta
        }
        #expect(fused.hostScalars() == expected)
        let shapes = weightError { _ = try LoRAStack([.init(try LoRAAdapter(path: loraPath), strength: 1)]).bind(to: ["t.weight"], baseShapes: ["t.weight": [4, 5]]) }
        #expect(shapes?.kind == .loraMismatch)
    }
}

extension LoRAFuseTests {
    /// An F8_E4M3 base is upcast exactly to bf16 and fused like a bf16 one (ltx-core's CPU
    /// path: `deltas.add_(weight.to(bf16))`). Expected values computed here with the rule.
    @Test func float8BaseIsUpcastThenFused() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        let codes: [UInt8] = [0x38, 0xB8, 0x41, 0x00]  // 1.0, -1.0, 2.25, 0
        let base = try SafetensorsFile(path: dir.raw("f8.safetensors",
            header: #"{"t.weight":{"dtype":"F8_E4M3","shape":[2,2],"data_offsets":[0,4]}}"#, data: codes))
        var writer = SafetensorsWriter()
        let a: [Float] = [0.3, -0.7], b: [Float] = [1.1, 0.45]
        try writer.add("t.lora_A.weight", Tensor(shape: [1, 2], scalars: a), as: .bf16)
        try writer.add("t.lora_B.weight", Tensor(shape: [2, 1], scalars: b), as: .bf16)
        let url = dir.url.appendingPathComponent("l.safetensors")
        try writer.write(to: url)
        let strength: Float = 0.6
        let bound = try LoRAStack([.init(try LoRAAdapter(path: url.path), strength: strength)]).bind(to: ["t.weight"])
        let fused = try bound.fusedWeight(for: "t.weight", base: base.tensor("t.weight")).hostScalars()
        var expected: [Float] = []
        for o in 0..<2 {
            for i in 0..<2 {
                let bs = BFloat16.round(BFloat16.round(b[o]) * strength)
                let delta = BFloat16.round(bs * BFloat16.round(a[i]))
                expected.append(BFloat16.round(delta + Float8.floatFromE4M3(codes[o * 2 + i])))
            }
        }
        #expect(fused == expected)
        #expect(fused != codes.map(Float8.floatFromE4M3))
    }
}
