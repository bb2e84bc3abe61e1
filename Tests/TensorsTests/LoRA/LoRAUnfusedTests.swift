import Foundation
import Testing
@testable import Tensors

/// Unfused mode against a naive double-precision twin: `y = x·Wᵀ + b + Σ s·(x·Aᵀ)·Bᵀ`.
@Suite struct LoRAUnfusedTests {
    private func naive(x: [Float], rows: Int, w: [Float], out: Int, inF: Int, bias: [Float]?, updates: [(a: [Float], b: [Float], r: Int, s: Float)]) -> [Float] {
        var y = [Float](repeating: 0, count: rows * out)
        for i in 0..<rows {
            for o in 0..<out {
                var acc = Double(bias?[o] ?? 0)
                for k in 0..<inF { acc += Double(x[i * inF + k]) * Double(w[o * inF + k]) }
                for u in updates {
                    for j in 0..<u.r {
                        var t = 0.0
                        for k in 0..<inF { t += Double(x[i * inF + k]) * Double(u.a[j * inF + k]) }
                        acc += Double(u.s) * t * Double(u.b[o * u.r + j])
                    }
                }
                y[i * out + o] = Float(acc)
            }
        }
        return y
    }

    @Test func linearWithStackedLoRAsMatchesNaive() throws {
        let base = try LoRAFixtures.transformerBase()
        let loras: [(String, Float)] = [("lora_a.safetensors", 0.8), ("lora_b.safetensors", -0.5), ("lora_c_f32.safetensors", 1.3)]
        let stack = try LoRAFixtures.stack(loras)
        let bound = try stack.bind(to: base.keys)
        let key = "transformer_blocks.0.attn1.to_q.weight"
        let weight = try base.tensor(key)
        let bias = try base.tensor("transformer_blocks.0.attn1.to_q.bias")
        let rows = 5
        let x = Tensor(shape: [1, rows, 16], scalars: (0..<(rows * 16)).map { Float(($0 * 37) % 23) / 23 - 0.5 })
        let y = try bound.linear(x, weight: weight, bias: bias, key: key)
        #expect(y.shape == [1, rows, 16])
        let updates = bound.contributions[key]!.map { c in
            (a: c.pair.down.floatTensor().hostScalars(), b: c.pair.up.floatTensor().hostScalars(), r: c.pair.rank, s: c.scale)
        }
        #expect(updates.count == 3)
        let want = naive(x: x.hostScalars(), rows: rows, w: weight.floatTensor().hostScalars(), out: 16, inF: 16,
            bias: bias.floatTensor().hostScalars(), updates: updates)
        let maxError = zip(y.hostScalars(), want).map { abs($0 - $1) }.max()!
        // float32 GEMM against a double reference over sums of 16 terms of size ~0.1.
        #expect(maxError < 1e-5, "max abs error \(maxError)")
        // Without LoRA the result differs: the update is really applied.
        let plain = try LoRAStack([]).bind(to: base.keys).linear(x, weight: weight, bias: bias, key: key)
        #expect(zip(plain.hostScalars(), want).map { abs($0 - $1) }.max()! > 1e-3)
    }

    @Test func float32WeightsAreUsedInPlace() throws {
        let dir = try TestDirectory()
        defer { dir.remove() }
        var writer = SafetensorsWriter()
        let w = (0..<12).map { Float($0) / 10 }
        try writer.add("w", Tensor(shape: [3, 4], scalars: w))
        let url = dir.url.appendingPathComponent("w32.safetensors")
        try writer.write(to: url)
        let weight = try SafetensorsFile(path: url.path).tensor("w")
        let x = Tensor(shape: [2, 4], scalars: [1, 0, 0, 0, 0, 1, 1, 0])
        let y = try LoRAStack([]).bind(to: []).linear(x, weight: weight, key: "w")
        #expect(y.hostScalars() == [0, 0.4, 0.8, 0.3, 1.1, 1.9])
        #expect(weightError { _ = try LoRAStack([]).bind(to: []).linear(Tensor(zeros: [2, 3]), weight: weight, key: "w") }?.kind == .shapeMismatch)
    }
}
