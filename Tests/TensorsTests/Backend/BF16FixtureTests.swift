import Foundation
import Testing
import Tensors
import TensorsTestSupport

/// bf16 mode against PyTorch 2.7.1's CPU bf16 ops (Fixtures/ops_bf16.safetensors, written by
/// tools/reference/make_bf16_op_fixtures.py): bf16 operands in, bf16 results out, on every
/// backend of the shared op suite. Tolerances are in bf16 ulps: 0 where the order of
/// operations is fixed (element-wise arithmetic and torch's op chains, which round after
/// each op), 1 where an accumulation order or an exp implementation may move the last bit.
@Suite struct BF16FixtureTests {
    let file: SafetensorsFile

    init() throws {
        guard let url = Bundle.module.url(forResource: "ops_bf16", withExtension: "safetensors", subdirectory: "Fixtures")
        else { throw FixtureFile.Failure(description: "fixture ops_bf16.safetensors is missing from the test bundle") }
        file = try SafetensorsFile(path: url.path)
    }

    func t(_ name: String) throws -> Tensor {
        let tensor = try file.tensor(name).tensor()
        #expect(name == "mulscalar.s" || tensor.dtype == .bf16, "\(name) is \(tensor.dtype)")
        return tensor
    }

    @Test(arguments: TestBackend.allCases)
    func products(on backend: TestBackend) throws {
        try backend.run {
            expectBF16(try t("linear.x").linear(weight: t("linear.weight"), bias: t("linear.bias")), try t("linear.out"), ulps: 1, "linear")
            expectBF16(try t("linear_nobias.x").linear(weight: t("linear_nobias.weight")), try t("linear_nobias.out"), ulps: 1, "linear, no bias")
            expectBF16(Tensor.matmul(try t("matmul.a"), try t("matmul.b")), try t("matmul.out"), ulps: 1, "matmul")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func elementwise(on backend: TestBackend) throws {
        try backend.run {
            expectBF16(try t("add.a") + t("add.b"), try t("add.out"), ulps: 0, "add")
            expectBF16(try t("sub.a") - t("sub.b"), try t("sub.out"), ulps: 0, "sub")
            expectBF16(try t("mul.a") * t("mul.b"), try t("mul.out"), ulps: 0, "mul")
            expectBF16(try t("div.a") / t("div.b"), try t("div.out"), ulps: 0, "div")
            // A Swift Float multiplies in float32 as it is (torch: a Python float), not rounded to bf16.
            let s = try t("mulscalar.s").hostScalars()[0]
            expectBF16(try t("mulscalar.x") * s, try t("mulscalar.out"), ulps: 0, "x * 0.37")
            expectBF16(try t("exp.x").exp(), try t("exp.out"), ulps: 1, "exp")
            expectBF16(try t("sigmoid.x").sigmoid(), try t("sigmoid.out"), ulps: 1, "sigmoid")
            expectBF16(try t("silu.x").silu(), try t("silu.out"), ulps: 1, "silu")
            expectBF16(try t("gelu_tanh.x").geluTanh(), try t("gelu_tanh.out"), ulps: 1, "gelu tanh")
            expectBF16(try t("softmax.x").softmax(), try t("softmax.out"), ulps: 1, "softmax")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func adaLNFamilyRoundsAfterEachStep(on backend: TestBackend) throws {
        try backend.run {
            let x = try t("modulate.x")
            let y = x.modulated(scale: try t("modulate.scale"), shift: try t("modulate.shift"))
            expectBF16(y, try t("modulate.out"), ulps: 0, "modulate")
            let g = try t("gated.x").addingGated(try t("gated.y"), gate: try t("gated.gate"))
            expectBF16(g, try t("gated.out"), ulps: 0, "gated residual")
            // Sanity mutation: rounding once at the end (a fused float32 kernel) is caught.
            let once = x.to(dtype: .f32).modulated(scale: try t("modulate.scale").to(dtype: .f32), shift: try t("modulate.shift").to(dtype: .f32)).to(dtype: .bf16)
            #expect(ulpDistance(once, try t("modulate.out")).max > 0, "float32 modulate rounded once must differ somewhere")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func reductionsAndNorms(on backend: TestBackend) throws {
        try backend.run {
            expectBF16(try t("sum.x").sum(alongAxis: 1), try t("sum.out"), ulps: 1, "sum")
            expectBF16(try t("mean.x").mean(alongAxis: 1), try t("mean.out"), ulps: 1, "mean")
            expectBF16(try t("rms_norm.x").rmsNorm(weight: t("rms_norm.weight"), eps: 1e-6), try t("rms_norm.out"), ulps: 1, "RMSNorm")
            expectBF16(
                try t("layer_norm.x").layerNorm(weight: t("layer_norm.weight"), bias: t("layer_norm.bias"), eps: 1e-6),
                try t("layer_norm.out"), ulps: 1, "LayerNorm")
            expectBF16(
                try t("group_norm.x").groupNorm(groups: 4, weight: t("group_norm.weight"), bias: t("group_norm.bias"), eps: 1e-6),
                try t("group_norm.out"), ulps: 1, "GroupNorm")
            expectBF16(try t("pixel_norm.x").pixelNorm(eps: 1e-8), try t("pixel_norm.out"), ulps: 1, "PixelNorm")
        }
    }

    @Test(arguments: TestBackend.allCases, RoPELayout.allCases)
    func rope(on backend: TestBackend, layout: RoPELayout) throws {
        try backend.run {
            let name = "rope_\(layout.rawValue)"
            let y = try t("\(name).x").applyingRoPE(cos: t("\(name).cos"), sin: t("\(name).sin"), layout: layout)
            expectBF16(y, try t("\(name).out"), ulps: 1, "RoPE \(layout)")
            // Sanity mutation: float32 RoPE rounded once is caught.
            let once = try t("\(name).x").to(dtype: .f32).applyingRoPE(
                cos: t("\(name).cos").to(dtype: .f32), sin: t("\(name).sin").to(dtype: .f32), layout: layout).to(dtype: .bf16)
            #expect(ulpDistance(once, try t("\(name).out")).max > 0, "RoPE rounded once must differ somewhere")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func attention(on backend: TestBackend) throws {
        try backend.run {
            let y = Tensor.scaledDotProductAttention(query: try t("sdpa.q"), key: try t("sdpa.k"), value: try t("sdpa.v"))
            expectBF16(y, try t("sdpa.out"), ulps: 1, "SDPA")
            let m = Tensor.scaledDotProductAttention(
                query: try t("sdpa_mask.q"), key: try t("sdpa_mask.k"), value: try t("sdpa_mask.v"),
                mask: .additive(try t("sdpa_mask.mask")))
            expectBF16(m, try t("sdpa_mask.out"), ulps: 1, "SDPA with additive mask")
            // 64-channel heads and 530 keys: AMX tiles on CPUs that have them, oneDNN's elsewhere.
            // The CPU kernel only: torch rounds probabilities per block of 512 keys (each block
            // against the running max), which the reference's one softmax per row does not.
            if backend == .cpu {
                let (q, k, v) = (try t("sdpa_d64.q"), try t("sdpa_d64.k"), try t("sdpa_d64.v"))
                let wide = Tensor.scaledDotProductAttention(query: q, key: k, value: v)
                expectBF16Attention(wide, try t("sdpa_d64.out"), query: q, key: k, value: v, "SDPA, 64-channel heads")
            }
            // Sanity mutation: float32 attention rounded once (no bf16 probabilities) is caught.
            let once = Tensor.scaledDotProductAttention(
                query: try t("sdpa.q").to(dtype: .f32), key: try t("sdpa.k").to(dtype: .f32),
                value: try t("sdpa.v").to(dtype: .f32)).to(dtype: .bf16)
            #expect(ulpDistance(once, try t("sdpa.out")).max > 1, "attention rounded once must differ by more than 1 ulp")
        }
    }
}

/// Expects bf16 attention `[B, H, T, d]` within 1 bf16 ulp of torch's, element by element, or
/// within what one probability rounded to bf16 the other way moves it: 2^-7 · max_j p_j·|v_j|
/// (p from float32 softmax of the bf16 scores, default scale). Elements where the weighted
/// values cancel to near zero sit thousands of ulps below their terms; there a one-ulp
/// difference in one probability (an exp or score accumulated in another order) is many ulps
/// of the result. Torch itself is 9e-5 from the exact value at such an element of this fixture.
func expectBF16Attention(
    _ actual: Tensor, _ expected: Tensor, query: Tensor, key: Tensor, value: Tensor, _ label: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.shape == expected.shape, actual.dtype == .bf16, query.shape.count == 4 else {
        Issue.record("\(label): \(actual.shape) \(actual.dtype), expected \(expected.shape) BF16", sourceLocation: sourceLocation)
        return
    }
    let (heads, rows, width) = (query.shape[0] * query.shape[1], query.shape[2], query.shape[3])
    let (keys, channels) = (key.shape[2], value.shape[3])
    let (q, k, v) = (query.hostScalars(), key.hostScalars(), value.hostScalars())
    let a = actual.hostScalars(), e = expected.hostScalars()
    let scale = 1 / Float(width).squareRoot()
    var bad = 0, worst = (index: -1, excess: Float(0))
    for h in 0..<heads {
        for r in 0..<rows {
            let scores = (0..<keys).map { j in
                (0..<width).reduce(Float(0)) { $0 + q[(h * rows + r) * width + $1] * k[(h * keys + j) * width + $1] } * scale
            }
            let top = scores.max() ?? 0
            let weights = scores.map { Foundation.exp($0 - top) }
            let total = weights.reduce(0, +)
            for c in 0..<channels {
                let i = (h * rows + r) * channels + c
                var bound = Float(0)
                for j in 0..<keys { bound = max(bound, weights[j] / total * abs(v[(h * keys + j) * channels + c])) }
                bound *= 0x1p-7  // one probability one bf16 ulp (at most 2^-7 of it) the other way
                let oneUlp = ulpDistance(Tensor(shape: [1], scalars: [a[i]]), Tensor(shape: [1], scalars: [e[i]])).max <= 1
                let excess = abs(a[i] - e[i]) - bound
                if !oneUlp && excess > 0 {
                    bad += 1
                    if excess > worst.excess { worst = (i, excess) }
                }
            }
        }
    }
    #expect(
        bad == 0,
        "\(label): \(bad) of \(a.count) elements beyond 1 bf16 ulp and beyond one probability's ulp (worst at \(worst.index): \(worst.index >= 0 ? a[worst.index] : 0) vs \(worst.index >= 0 ? e[worst.index] : 0))",
        sourceLocation: sourceLocation)
}

/// Distances in bf16 ulps between two bf16 tensors of one shape (the count of representable
/// bf16 values between them; +0 and -0 are one value apart).
func ulpDistance(_ a: Tensor, _ b: Tensor) -> (max: Int, worst: Int) {
    func ordered(_ x: Float) -> Int {
        let bits = Int(BFloat16.bits(from: x))
        return bits & 0x8000 != 0 ? -(bits & 0x7FFF) : bits
    }
    var worst = -1, max = 0
    for (i, (x, y)) in zip(a.hostScalars(), b.hostScalars()).enumerated() {
        let d = x.isNaN || y.isNaN ? (x.isNaN && y.isNaN ? 0 : Int.max) : abs(ordered(x) - ordered(y))
        if d > max { (max, worst) = (d, i) }
    }
    return (max, worst)
}

/// Expects a bf16 result within `ulps` bf16 ulps of torch's, element by element. Values both
/// below 1e-6 in magnitude also match (torch's float32 GELU formula flushes tiny negative
/// results to -0.0; the distance in ulps there means nothing).
func expectBF16(
    _ actual: Tensor, _ expected: Tensor, ulps: Int, _ label: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.shape == expected.shape, actual.dtype == .bf16 else {
        Issue.record("\(label): \(actual.shape) \(actual.dtype), expected \(expected.shape) BF16", sourceLocation: sourceLocation)
        return
    }
    let a = actual.hostScalars(), e = expected.hostScalars()
    var bad = 0
    for (x, y) in zip(a, e) where !(abs(x) < 1e-6 && abs(y) < 1e-6) {
        if ulpDistance(Tensor(shape: [1], scalars: [x]), Tensor(shape: [1], scalars: [y])).max > ulps { bad += 1 }
    }
    let (maxUlps, worst) = ulpDistance(actual, expected)
    #expect(
        bad == 0,
        "\(label): \(bad) of \(a.count) elements beyond \(ulps) bf16 ulp (max \(maxUlps) at \(worst): \(worst >= 0 ? a[worst] : 0) vs \(worst >= 0 ? e[worst] : 0))",
        sourceLocation: sourceLocation)
}
